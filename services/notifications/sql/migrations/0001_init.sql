-- notifications's own tables arrive with its use cases; the runtime's inbox, outbox and clock are already there.
SELECT 1;

"""What operators run: the ``passpro`` command (queues, failed messages, the campaign's funnel, the simulator)."""

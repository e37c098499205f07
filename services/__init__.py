"""The five Passpro services and their shared plumbing."""

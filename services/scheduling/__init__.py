"""scheduling: books one interview per pupil per domain from declared slots (R13–R21)."""

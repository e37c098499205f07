"""Fault injection: a scripted campaign played through the public interface while its parts fail, then checked."""

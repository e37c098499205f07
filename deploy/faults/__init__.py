"""Fault injection: a scripted campaign played through the public interface while services, broker, database,
SMTP and Affelnet fail, then checked for anything lost or done twice."""

"""The local stack: RabbitMQ, PostgreSQL, the five services and the stand-ins as plain processes under ``var/``."""

-- One database per service: each owns its event store and read models.
CREATE DATABASE intake;
CREATE DATABASE router;
CREATE DATABASE followup;

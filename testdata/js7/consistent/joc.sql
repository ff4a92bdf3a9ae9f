
CREATE TABLE dep_history (
  id bigserial PRIMARY KEY, account varchar(255) NOT NULL, path varchar(255) NOT NULL, folder varchar(255) NOT NULL,
  name varchar(255) NOT NULL, title varchar(255), type smallint NOT NULL, inv_cid bigint NOT NULL, inv_iid bigint NOT NULL,
  controller_id varchar(100) NOT NULL, content text, inv_content text, signature varchar(2000), commit_id varchar(255),
  version varchar(100), operation smallint NOT NULL, state smallint NOT NULL, error_message varchar(255),
  deployment_date timestamp NOT NULL, deleted_date timestamp, auditlog_id bigint,
  CONSTRAINT dep_history_unique UNIQUE (name, type, controller_id, commit_id)
);
CREATE VIEW dep_configurations AS
  SELECT h.id, h.path, h.folder, h.name, h.title, h.type, h.inv_cid, h.controller_id, h.inv_content AS content, h.commit_id, h.deployment_date AS created
  FROM dep_history h JOIN (SELECT controller_id, name, type, max(id) AS max_id FROM dep_history WHERE state = 0 GROUP BY controller_id, name, type) j
    ON h.id = j.max_id WHERE h.operation = 0;
CREATE TABLE joc_variables (name varchar(255) PRIMARY KEY, numeric_value integer, text_value varchar(255), binary_value bytea);
CREATE TABLE history_controllers (ready_event_id bigint PRIMARY KEY, controller_id varchar(100) NOT NULL, uri varchar(255) NOT NULL, timezone varchar(100), total_running_time bigint, ready_time timestamp, shutdown_time timestamp, last_known_time timestamp, created timestamp NOT NULL);
INSERT INTO history_controllers (ready_event_id, controller_id, uri, created) VALUES (1793527209999999, 'controller', 'https://controller:4443', '2026-11-01 08:00:00');
INSERT INTO joc_variables (name, text_value) VALUES ('version', '2.7.8'), ('history_controller', '1793527220000000');
INSERT INTO dep_history (account, path, folder, name, type, inv_cid, inv_iid, controller_id, commit_id, operation, state, deployment_date) VALUES
  ('root', '/daily-report', '/', 'daily-report', 1, 1, 1, 'controller', 'an-older-commit', 0, 0, '2026-10-30 10:00:00'),
  ('root', '/daily-report', '/', 'daily-report', 1, 1, 1, 'controller', '6f1c1a2e-1d2b-4c44-9a0e-2f5c9b7d0a11', 0, 0, '2026-11-01 10:00:00'),
  ('root', '/db-lock', '/', 'db-lock', 4, 2, 1, 'controller', '6f1c1a2e-1d2b-4c44-9a0e-2f5c9b7d0a11', 0, 0, '2026-11-01 10:00:00'),
  ('root', '/env', '/', 'env', 10, 3, 1, 'controller', '6f1c1a2e-1d2b-4c44-9a0e-2f5c9b7d0a11', 0, 0, '2026-11-01 10:00:00'),
  ('root', '/nightly', '/', 'nightly', 1, 4, 1, 'controller', 'a-failed-commit', 0, 1, '2026-11-01 11:00:00'),
  ('root', '/weekly-schedule', '/', 'weekly-schedule', 7, 5, 1, 'controller', '6f1c1a2e-1d2b-4c44-9a0e-2f5c9b7d0a11', 0, 0, '2026-11-01 10:00:00');


CREATE SEQUENCE SEQ_DEP_HIS INCREMENT BY 1 START WITH 1 MINVALUE 1 CYCLE;
CREATE TABLE DEP_HISTORY (
    "ID"              BIGINT              NOT NULL DEFAULT NEXTVAL('SEQ_DEP_HIS'),
    "ACCOUNT"         VARCHAR(100)        NOT NULL,
    "PATH"            VARCHAR(255)        NOT NULL,
    "FOLDER"          VARCHAR(255)        NOT NULL,
    "NAME"            VARCHAR(255)        DEFAULT '' NOT NULL,
    "TITLE"           VARCHAR(255)        NULL,
    "TYPE"            SMALLINT            NOT NULL,
    "INV_CID"         BIGINT              NOT NULL,
    "INV_IID"         BIGINT              NOT NULL,
    "CONTROLLER_ID"   VARCHAR(100)        NOT NULL,
    "CONTENT"         TEXT                NOT NULL,
    "INV_CONTENT"     TEXT                DEFAULT '' NOT NULL,
    "SIGNATURE"       VARCHAR(2000)       NOT NULL,
    "COMMIT_ID"       VARCHAR(255)        NULL,
    "VERSION"         VARCHAR(50)         NULL,
    "OPERATION"       SMALLINT            NULL,
    "STATE"           SMALLINT            NOT NULL,
    "ERROR_MESSAGE"   VARCHAR(255)        NULL,
    "DEPLOYMENT_DATE" TIMESTAMP           NOT NULL,
    "DELETED_DATE"    TIMESTAMP           NULL,
    "AUDITLOG_ID"     BIGINT              NULL,
    CONSTRAINT UNIQUE_DH_NTCC UNIQUE ("NAME", "TYPE", "CONTROLLER_ID", "COMMIT_ID"),
    PRIMARY KEY ("ID")
);
CREATE VIEW DEP_CONFIGURATIONS_JOIN AS SELECT "CONTROLLER_ID", "NAME", "TYPE", MAX("ID") AS "MAX_ID"
  FROM DEP_HISTORY WHERE "STATE" = 0 GROUP BY "CONTROLLER_ID", "NAME", "TYPE";
CREATE VIEW DEP_CONFIGURATIONS AS SELECT a."ID", a."NAME", a."PATH", a."FOLDER", a."TYPE", a."INV_CID", a."CONTROLLER_ID",
    a."INV_CONTENT" AS "CONTENT", a."COMMIT_ID", a."DEPLOYMENT_DATE" AS "CREATED", a."TITLE"
  FROM DEP_HISTORY a INNER JOIN DEP_CONFIGURATIONS_JOIN b ON a."ID" = b."MAX_ID" WHERE a."OPERATION" = 0;
CREATE TABLE JOC_VARIABLES (
    "NAME"                  VARCHAR(255)  NOT NULL,
    "NUMERIC_VALUE"         INTEGER       NULL,
    "TEXT_VALUE"            VARCHAR(255)  NULL,
    "BINARY_VALUE"          BYTEA         NULL,
    PRIMARY KEY ("NAME")
);
CREATE TABLE HISTORY_CONTROLLERS (
    "READY_EVENT_ID"            NUMERIC(16)     NOT NULL,
    "CONTROLLER_ID"             VARCHAR(100)    NOT NULL,
    "URI"                       VARCHAR(255)    NOT NULL,
    "TIMEZONE"                  VARCHAR(100)    NOT NULL,
    "TOTAL_RUNNING_TIME"        NUMERIC(16)     NOT NULL,
    "READY_TIME"                TIMESTAMP       NOT NULL,
    "SHUTDOWN_TIME"             TIMESTAMP       NULL,
    "LAST_KNOWN_TIME"           TIMESTAMP       NULL,
    "CREATED"                   TIMESTAMP       NOT NULL,
    PRIMARY KEY ("READY_EVENT_ID","CONTROLLER_ID")
);
INSERT INTO JOC_VARIABLES ("NAME", "TEXT_VALUE") VALUES ('version', '2.7.8'), ('history_controller', '1793527220000000');
INSERT INTO HISTORY_CONTROLLERS ("READY_EVENT_ID", "CONTROLLER_ID", "URI", "TIMEZONE", "TOTAL_RUNNING_TIME", "READY_TIME", "CREATED") VALUES
  (1793527200050002, 'controller', 'https://controller.example:4443', 'Europe/Berlin', 100, '2026-11-01 08:00:00', '2026-11-01 08:00:01');
INSERT INTO DEP_HISTORY ("ACCOUNT", "PATH", "FOLDER", "NAME", "TYPE", "INV_CID", "INV_IID", "CONTROLLER_ID", "CONTENT", "SIGNATURE", "COMMIT_ID", "OPERATION", "STATE", "DEPLOYMENT_DATE") VALUES
  ('root', '/daily-report', '/', 'daily-report', 1, 1, 1, 'controller', '{}', 'sig', 'an-older-commit', 0, 0, '2026-10-30 10:00:00'),
  ('root', '/daily-report', '/', 'daily-report', 1, 1, 1, 'controller', '{}', 'sig', '6f1c1a2e-1d2b-4c44-9a0e-2f5c9b7d0a11', 0, 0, '2026-11-01 10:00:00'),
  ('root', '/db-lock', '/', 'db-lock', 4, 2, 1, 'controller', '{}', 'sig', '6f1c1a2e-1d2b-4c44-9a0e-2f5c9b7d0a11', 0, 0, '2026-11-01 10:00:00'),
  ('root', '/env', '/', 'env', 10, 3, 1, 'controller', '{}', 'sig', '6f1c1a2e-1d2b-4c44-9a0e-2f5c9b7d0a11', 0, 0, '2026-11-01 10:00:00'),
  ('root', '/nightly', '/', 'nightly', 1, 4, 1, 'controller', '{}', 'sig', 'a-failed-commit', 0, 1, '2026-11-01 11:00:00'),
  ('root', '/weekly-schedule', '/', 'weekly-schedule', 7, 5, 1, 'controller', '{}', 'sig', '6f1c1a2e-1d2b-4c44-9a0e-2f5c9b7d0a11', 0, 0, '2026-11-01 10:00:00');

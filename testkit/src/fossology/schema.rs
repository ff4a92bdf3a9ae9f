//! The part of FOSSology's schema the test kit fills, with the table, column, sequence and
//! constraint names and the column types of `src/www/ui/core-schema.dat` (and, for
//! `ununpack_ars`, of `fo_CreateARSTable` in `src/lib/c/libfossagent.c`). Written for the
//! test kit; columns of other features (folders, clearing, reports) are left out.

/// DDL, then the rows a fresh installation has (`UserDao::updateUserTable`: "Default User"
/// and the administrator `fossy`, each with a group of the same name).
pub const SCHEMA: &str = r#"
SET client_min_messages = warning;

CREATE SEQUENCE agent_agent_pk_seq;
CREATE TABLE agent (
    agent_pk integer NOT NULL DEFAULT nextval('agent_agent_pk_seq'::regclass),
    agent_name character varying(32) NOT NULL,
    agent_rev text,
    agent_desc character varying(255),
    agent_enabled boolean DEFAULT true,
    agent_parms text,
    agent_ts timestamp with time zone DEFAULT now(),
    CONSTRAINT agent_pkey PRIMARY KEY (agent_pk),
    CONSTRAINT agent_unique_name_rev UNIQUE (agent_name, agent_rev)
);

CREATE SEQUENCE group_group_pk_seq;
CREATE TABLE groups (
    group_pk integer NOT NULL DEFAULT nextval('group_group_pk_seq'::regclass),
    group_name character varying(64),
    CONSTRAINT group_pkey PRIMARY KEY (group_pk),
    CONSTRAINT group_group_name_key UNIQUE (group_name)
);

CREATE SEQUENCE users_user_pk_seq;
CREATE TABLE users (
    user_pk integer NOT NULL DEFAULT nextval('users_user_pk_seq'::regclass),
    user_name text NOT NULL,
    root_folder_fk integer NOT NULL,
    default_folder_fk integer NOT NULL DEFAULT '-1'::integer,
    last_connection timestamp with time zone,
    user_desc text,
    user_status text DEFAULT 'active'::text,
    user_seed text,
    user_pass text,
    user_perm integer,
    user_email text,
    email_notify character varying(1) DEFAULT 'y'::character varying,
    upload_visibility text,
    user_agent_list text,
    default_bucketpool_fk integer,
    ui_preference character varying DEFAULT 'simple'::character varying,
    new_upload_group_fk integer,
    new_upload_perm integer,
    group_fk integer,
    CONSTRAINT user_pkey PRIMARY KEY (user_pk),
    CONSTRAINT user_user_name_key UNIQUE (user_name),
    CONSTRAINT users_group_id_fkey FOREIGN KEY (group_fk) REFERENCES groups (group_pk)
);

CREATE SEQUENCE pfile_pfile_pk_seq;
CREATE TABLE pfile (
    pfile_pk integer NOT NULL DEFAULT nextval('pfile_pfile_pk_seq'::regclass),
    pfile_md5 character(32) NOT NULL,
    pfile_sha1 character(40) NOT NULL,
    pfile_sha256 character(64),
    pfile_size bigint NOT NULL,
    pfile_mimetypefk integer,
    CONSTRAINT pfile_pkey PRIMARY KEY (pfile_pk),
    CONSTRAINT pfile_md5_sha1_sha256_size_ukey UNIQUE (pfile_md5, pfile_sha1, pfile_sha256, pfile_size)
);
CREATE INDEX pfile_sha1_idx ON pfile USING btree (pfile_sha1);
CREATE INDEX pfile_sha256_idx ON pfile USING btree (pfile_sha256);
CREATE INDEX pfile_mimetypefk_idx ON pfile USING btree (pfile_mimetypefk);

CREATE SEQUENCE upload_upload_pk_seq;
CREATE TABLE upload (
    upload_pk integer NOT NULL DEFAULT nextval('upload_upload_pk_seq'::regclass),
    upload_desc text,
    upload_filename text NOT NULL,
    user_fk integer,
    upload_mode integer NOT NULL,
    upload_ts timestamp with time zone NOT NULL DEFAULT now(),
    pfile_fk integer,
    upload_origin text,
    uploadtree_tablename character varying(18) NOT NULL DEFAULT 'uploadtree_a'::character varying,
    expire_date date,
    expire_action character(1),
    public_perm integer,
    CONSTRAINT upload_pkey_idx PRIMARY KEY (upload_pk)
);
CREATE INDEX upload_mode_idx ON upload USING btree (upload_pk, upload_mode);

CREATE SEQUENCE uploadtree_uploadtree_pk_seq;
CREATE TABLE uploadtree (
    uploadtree_pk integer NOT NULL DEFAULT nextval('uploadtree_uploadtree_pk_seq'::regclass),
    parent integer,
    realparent integer,
    upload_fk integer NOT NULL,
    pfile_fk integer,
    ufile_mode integer,
    lft integer,
    rgt integer,
    ufile_name text,
    CONSTRAINT ufile_rel_pkey PRIMARY KEY (uploadtree_pk),
    CONSTRAINT uploadtree_uploadfk FOREIGN KEY (upload_fk) REFERENCES upload (upload_pk) ON DELETE CASCADE
);
CREATE INDEX lft_idx ON uploadtree USING btree (lft);
CREATE INDEX parent ON uploadtree USING btree (parent);
CREATE INDEX projtree_projid_idx ON uploadtree USING btree (upload_fk);
CREATE INDEX uploadtree_pfile_fk_idx ON uploadtree USING btree (pfile_fk);

-- Where ununpack writes unless the upload gets a table of its own.
CREATE TABLE uploadtree_a () INHERITS (uploadtree);
ALTER TABLE uploadtree_a ADD CONSTRAINT uploadtree_a_pkey PRIMARY KEY (uploadtree_pk);
CREATE INDEX uploadtree_a_lft_idx ON uploadtree_a USING btree (lft);
CREATE INDEX uploadtree_a_parent_idx ON uploadtree_a USING btree (parent);
CREATE INDEX uploadtree_a_pfile_fk_idx ON uploadtree_a USING btree (pfile_fk);
CREATE INDEX uploadtree_a_upload_fk_idx ON uploadtree_a USING btree (upload_fk);
CREATE INDEX uploadtree_a_upload_fk_lft_idx ON uploadtree_a USING btree (upload_fk, lft);
CREATE INDEX uploadtree_a_upload_lft_ufilemode_pfile_idx ON uploadtree_a USING btree (upload_fk, lft, ufile_mode, pfile_fk);

CREATE SEQUENCE job_job_pk_seq;
CREATE TABLE job (
    job_pk integer NOT NULL DEFAULT nextval('job_job_pk_seq'::regclass),
    job_queued timestamp with time zone,
    job_priority integer NOT NULL DEFAULT 0,
    job_email_notify text,
    job_name text,
    job_upload_fk integer,
    job_folder_fk integer,
    job_user_fk integer,
    job_group_fk integer,
    CONSTRAINT job_pkey PRIMARY KEY (job_pk)
);

CREATE SEQUENCE jobqueue_jq_pk_seq;
CREATE TABLE jobqueue (
    jq_pk integer NOT NULL DEFAULT nextval('jobqueue_jq_pk_seq'::regclass),
    jq_job_fk integer NOT NULL,
    jq_type text NOT NULL,
    jq_args text,
    jq_starttime timestamp with time zone,
    jq_endtime timestamp with time zone,
    jq_endtext text,
    jq_end_bits smallint NOT NULL DEFAULT 0,
    jq_schedinfo text,
    jq_itemsprocessed integer DEFAULT 0,
    jq_log text,
    jq_runonpfile text,
    jq_host text,
    jq_cmd_args text,
    CONSTRAINT jobqueue_pkey PRIMARY KEY (jq_pk),
    CONSTRAINT jobqueue_job_fk FOREIGN KEY (jq_job_fk) REFERENCES job (job_pk) ON DELETE CASCADE
);

CREATE TABLE jobdepends (
    jdep_jq_fk integer,
    jdep_jq_depends_fk integer,
    CONSTRAINT jdep_jq_fk FOREIGN KEY (jdep_jq_fk) REFERENCES jobqueue (jq_pk) ON DELETE CASCADE,
    CONSTRAINT jdep_depends_jq_fk FOREIGN KEY (jdep_jq_depends_fk) REFERENCES jobqueue (jq_pk) ON DELETE CASCADE
);
CREATE INDEX jobdepends_jq_fk_idx ON jobdepends USING btree (jdep_jq_fk);

-- Every agent's ARS table inherits this one, and its key (hence the nomos name).
CREATE SEQUENCE nomos_ars_ars_pk_seq;
CREATE TABLE ars_master (
    ars_pk integer NOT NULL DEFAULT nextval('nomos_ars_ars_pk_seq'::regclass),
    agent_fk integer NOT NULL,
    upload_fk integer NOT NULL,
    ars_success boolean NOT NULL DEFAULT false,
    ars_status text,
    ars_starttime timestamp with time zone NOT NULL DEFAULT now(),
    ars_endtime timestamp with time zone,
    CONSTRAINT ars_ars_pkey PRIMARY KEY (ars_pk),
    CONSTRAINT ars_agent_fk_fkey FOREIGN KEY (agent_fk) REFERENCES agent (agent_pk),
    CONSTRAINT ars_ars_upload_fk_fkey FOREIGN KEY (upload_fk) REFERENCES upload (upload_pk)
);
-- Made by the first ununpack run.
CREATE TABLE ununpack_ars () INHERITS (ars_master);
ALTER TABLE ONLY ununpack_ars ADD CONSTRAINT ununpack_ars_agent_fk_fkc FOREIGN KEY (agent_fk) REFERENCES agent (agent_pk);
ALTER TABLE ONLY ununpack_ars ADD CONSTRAINT ununpack_ars_upload_fk_fkc FOREIGN KEY (upload_fk) REFERENCES upload (upload_pk) ON DELETE CASCADE;

INSERT INTO groups (group_pk, group_name) VALUES (1, 'Default User'), (2, 'fossy');
INSERT INTO users (user_pk, user_name, root_folder_fk, user_desc, user_seed, user_pass, user_perm, user_email, email_notify, group_fk) VALUES
    (1, 'Default User', 1, 'Default User when nobody is logged in', 'Seed', 'Pass', 0, NULL, 'y', 1),
    (2, 'fossy', 1, 'Default Administrator', 'Seed', '(no password: test kit)', 10, 'fossy', 'y', 2);
SELECT setval('group_group_pk_seq', 2);
SELECT setval('users_user_pk_seq', 2);
"#;

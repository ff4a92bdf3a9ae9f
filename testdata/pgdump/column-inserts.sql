--
-- PostgreSQL database dump
--

\restrict QSTM2etTLbndm8abvxchor4o9uUybYEaHzNKV2boVcXTwQfWmwkKP3H8zDzpXYK

-- Dumped from database version 15.18 (Debian 15.18-0+deb12u1)
-- Dumped by pg_dump version 15.18 (Debian 15.18-0+deb12u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: other; Type: SCHEMA; Schema: -; Owner: postgres
--

CREATE SCHEMA other;


ALTER SCHEMA other OWNER TO postgres;

SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: pfile; Type: TABLE; Schema: other; Owner: postgres
--

CREATE TABLE other.pfile (
    pfile_pk integer,
    note text
);


ALTER TABLE other.pfile OWNER TO postgres;

--
-- Name: Awkward Table; Type: TABLE; Schema: public; Owner: postgres
--

CREATE TABLE public."Awkward Table" (
    id integer,
    "Text Value" text,
    b bytea
);


ALTER TABLE public."Awkward Table" OWNER TO postgres;

--
-- Name: Types; Type: TABLE; Schema: public; Owner: postgres
--

CREATE TABLE public."Types" (
    id integer NOT NULL,
    flag boolean,
    bits bit(4),
    vbits bit varying,
    n numeric,
    f double precision,
    b bytea,
    t text,
    twice integer GENERATED ALWAYS AS ((id * 2)) STORED
);


ALTER TABLE public."Types" OWNER TO postgres;

--
-- Name: parent; Type: TABLE; Schema: public; Owner: postgres
--

CREATE TABLE public.parent (
    a integer,
    b text
);


ALTER TABLE public.parent OWNER TO postgres;

--
-- Name: child; Type: TABLE; Schema: public; Owner: postgres
--

CREATE TABLE public.child (
    c text
)
INHERITS (public.parent);


ALTER TABLE public.child OWNER TO postgres;

--
-- Name: empty; Type: TABLE; Schema: public; Owner: postgres
--

CREATE TABLE public.empty (
    x integer
);


ALTER TABLE public.empty OWNER TO postgres;

--
-- Name: pfile; Type: TABLE; Schema: public; Owner: postgres
--

CREATE TABLE public.pfile (
    pfile_pk integer NOT NULL,
    pfile_md5 character(32),
    pfile_sha1 character(40),
    pfile_size bigint
);


ALTER TABLE public.pfile OWNER TO postgres;

--
-- Data for Name: pfile; Type: TABLE DATA; Schema: other; Owner: postgres
--

INSERT INTO other.pfile (pfile_pk, note) VALUES (99, 'same name, other schema');


--
-- Data for Name: Awkward Table; Type: TABLE DATA; Schema: public; Owner: postgres
--

INSERT INTO public."Awkward Table" (id, "Text Value", b) VALUES (1, 'tab	here', '\x00ff');
INSERT INTO public."Awkward Table" (id, "Text Value", b) VALUES (2, 'new
line and back\slash', NULL);
INSERT INTO public."Awkward Table" (id, "Text Value", b) VALUES (3, 'héllo wörld ✓', '\x');
INSERT INTO public."Awkward Table" (id, "Text Value", b) VALUES (4, NULL, NULL);
INSERT INTO public."Awkward Table" (id, "Text Value", b) VALUES (5, '\N is not null', NULL);
INSERT INTO public."Awkward Table" (id, "Text Value", b) VALUES (6, 'crvtffbs', NULL);


--
-- Data for Name: Types; Type: TABLE DATA; Schema: public; Owner: postgres
--

INSERT INTO public."Types" (id, flag, bits, vbits, n, f, b, t) VALUES (1, true, B'1010', B'1', 'NaN', 'Infinity', '\x00ff', 'it''s a \ backslash');
INSERT INTO public."Types" (id, flag, bits, vbits, n, f, b, t) VALUES (2, false, B'0000', B'', -1.5, 1e-300, '\x', 'two
lines	and a tab');
INSERT INTO public."Types" (id, flag, bits, vbits, n, f, b, t) VALUES (3, NULL, NULL, NULL, NULL, NULL, NULL, '');
INSERT INTO public."Types" (id, flag, bits, vbits, n, f, b, t) VALUES (4, true, B'1111', B'0101', 12345678901234567890.123, 0, '\x5c27', '\N and ''quotes'' and "doubles"');
INSERT INTO public."Types" (id, flag, bits, vbits, n, f, b, t) VALUES (5, false, B'0001', B'11', 0, 3.14159, NULL, NULL);


--
-- Data for Name: child; Type: TABLE DATA; Schema: public; Owner: postgres
--

INSERT INTO public.child (a, b, c) VALUES (1, 'from parent', 'own');


--
-- Data for Name: empty; Type: TABLE DATA; Schema: public; Owner: postgres
--



--
-- Data for Name: parent; Type: TABLE DATA; Schema: public; Owner: postgres
--

INSERT INTO public.parent (a, b) VALUES (2, 'only parent');


--
-- Data for Name: pfile; Type: TABLE DATA; Schema: public; Owner: postgres
--

INSERT INTO public.pfile (pfile_pk, pfile_md5, pfile_sha1, pfile_size) VALUES (1, '149FD9DAC3A1FF6AD491F95F49E90BF2', '403C2B25B9B02A2EBB6817C459B37AFC1F9BA3B5', 35328);
INSERT INTO public.pfile (pfile_pk, pfile_md5, pfile_sha1, pfile_size) VALUES (2, 'D41D8CD98F00B204E9800998ECF8427E', 'DA39A3EE5E6B4B0D3255BFEF95601890AFD80709', 0);
INSERT INTO public.pfile (pfile_pk, pfile_md5, pfile_sha1, pfile_size) VALUES (3, NULL, NULL, NULL);


--
-- Name: Types Types_pkey; Type: CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public."Types"
    ADD CONSTRAINT "Types_pkey" PRIMARY KEY (id);


--
-- Name: pfile pfile_pkey; Type: CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.pfile
    ADD CONSTRAINT pfile_pkey PRIMARY KEY (pfile_pk);


--
-- PostgreSQL database dump complete
--

\unrestrict QSTM2etTLbndm8abvxchor4o9uUybYEaHzNKV2boVcXTwQfWmwkKP3H8zDzpXYK


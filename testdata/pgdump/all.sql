--
-- PostgreSQL database cluster dump
--

\restrict HKFuw0QQFwcVXVWgAHdaKq1g8j48OtaHrHOX6Asjr3tqzLqZCAwmXCti8tNHBrd

SET default_transaction_read_only = off;

SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;

--
-- Roles
--

CREATE ROLE postgres;
ALTER ROLE postgres WITH SUPERUSER INHERIT CREATEROLE CREATEDB LOGIN REPLICATION BYPASSRLS;

--
-- User Configurations
--








\unrestrict HKFuw0QQFwcVXVWgAHdaKq1g8j48OtaHrHOX6Asjr3tqzLqZCAwmXCti8tNHBrd

--
-- Databases
--

--
-- Database "template1" dump
--

\connect template1

--
-- PostgreSQL database dump
--

\restrict 0ykFPrHIrmkIeh4h3xqspLzPpb7YckHQsJEOj3jfagqzIxt4rDuIwA2PtdGKQk5

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
-- PostgreSQL database dump complete
--

\unrestrict 0ykFPrHIrmkIeh4h3xqspLzPpb7YckHQsJEOj3jfagqzIxt4rDuIwA2PtdGKQk5

--
-- Database "Odd "Name"" dump
--

--
-- PostgreSQL database dump
--

\restrict eHZRqpGhhOVdj2DBAzyGdl7am2qafJyiCcp7P2qLByjvhDFbV7QWstqWquQ2b5Z

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
-- Name: Odd "Name"; Type: DATABASE; Schema: -; Owner: postgres
--

CREATE DATABASE "Odd ""Name""" WITH TEMPLATE = template0 ENCODING = 'UTF8' LOCALE_PROVIDER = libc LOCALE = 'C.UTF-8';


ALTER DATABASE "Odd ""Name""" OWNER TO postgres;

\unrestrict eHZRqpGhhOVdj2DBAzyGdl7am2qafJyiCcp7P2qLByjvhDFbV7QWstqWquQ2b5Z
\encoding SQL_ASCII
\connect -reuse-previous=on "dbname='Odd ""Name""'"
\restrict eHZRqpGhhOVdj2DBAzyGdl7am2qafJyiCcp7P2qLByjvhDFbV7QWstqWquQ2b5Z

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
-- PostgreSQL database dump complete
--

\unrestrict eHZRqpGhhOVdj2DBAzyGdl7am2qafJyiCcp7P2qLByjvhDFbV7QWstqWquQ2b5Z

--
-- Database "fossology" dump
--

--
-- PostgreSQL database dump
--

\restrict eVFZjay6eDb2mxvgeCUzSMHnaSonS93M6o3owD4QtXOR0vIwoPv2lwQ3tM6u6Ay

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
-- Name: fossology; Type: DATABASE; Schema: -; Owner: postgres
--

CREATE DATABASE fossology WITH TEMPLATE = template0 ENCODING = 'UTF8' LOCALE_PROVIDER = libc LOCALE = 'C.UTF-8';


ALTER DATABASE fossology OWNER TO postgres;

\unrestrict eVFZjay6eDb2mxvgeCUzSMHnaSonS93M6o3owD4QtXOR0vIwoPv2lwQ3tM6u6Ay
\connect fossology
\restrict eVFZjay6eDb2mxvgeCUzSMHnaSonS93M6o3owD4QtXOR0vIwoPv2lwQ3tM6u6Ay

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

COPY other.pfile (pfile_pk, note) FROM stdin;
99	same name, other schema
\.


--
-- Data for Name: Awkward Table; Type: TABLE DATA; Schema: public; Owner: postgres
--

COPY public."Awkward Table" (id, "Text Value", b) FROM stdin;
1	tab\there	\\x00ff
2	new\nline and back\\slash	\N
3	héllo wörld ✓	\\x
4	\N	\N
5	\\N is not null	\N
6	cr\rvt\vff\fbs\b	\N
\.


--
-- Data for Name: Types; Type: TABLE DATA; Schema: public; Owner: postgres
--

COPY public."Types" (id, flag, bits, vbits, n, f, b, t) FROM stdin;
1	t	1010	1	NaN	Infinity	\\x00ff	it's a \\ backslash
2	f	0000		-1.5	1e-300	\\x	two\nlines\tand a tab
3	\N	\N	\N	\N	\N	\N	
4	t	1111	0101	12345678901234567890.123	0	\\x5c27	\\N and 'quotes' and "doubles"
5	f	0001	11	0	3.14159	\N	\N
\.


--
-- Data for Name: child; Type: TABLE DATA; Schema: public; Owner: postgres
--

COPY public.child (a, b, c) FROM stdin;
1	from parent	own
\.


--
-- Data for Name: empty; Type: TABLE DATA; Schema: public; Owner: postgres
--

COPY public.empty (x) FROM stdin;
\.


--
-- Data for Name: parent; Type: TABLE DATA; Schema: public; Owner: postgres
--

COPY public.parent (a, b) FROM stdin;
2	only parent
\.


--
-- Data for Name: pfile; Type: TABLE DATA; Schema: public; Owner: postgres
--

COPY public.pfile (pfile_pk, pfile_md5, pfile_sha1, pfile_size) FROM stdin;
1	149FD9DAC3A1FF6AD491F95F49E90BF2	403C2B25B9B02A2EBB6817C459B37AFC1F9BA3B5	35328
2	D41D8CD98F00B204E9800998ECF8427E	DA39A3EE5E6B4B0D3255BFEF95601890AFD80709	0
3	\N	\N	\N
\.


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

\unrestrict eVFZjay6eDb2mxvgeCUzSMHnaSonS93M6o3owD4QtXOR0vIwoPv2lwQ3tM6u6Ay

--
-- Database "other" dump
--

--
-- PostgreSQL database dump
--

\restrict HgxtmG9m7CvP10bhUEuVuALWv2RXaplwuwPKgDPDiWO8lDFCatHCELC9DFivwh4

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
-- Name: other; Type: DATABASE; Schema: -; Owner: postgres
--

CREATE DATABASE other WITH TEMPLATE = template0 ENCODING = 'UTF8' LOCALE_PROVIDER = libc LOCALE = 'C.UTF-8';


ALTER DATABASE other OWNER TO postgres;

\unrestrict HgxtmG9m7CvP10bhUEuVuALWv2RXaplwuwPKgDPDiWO8lDFCatHCELC9DFivwh4
\connect other
\restrict HgxtmG9m7CvP10bhUEuVuALWv2RXaplwuwPKgDPDiWO8lDFCatHCELC9DFivwh4

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

SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: pfile; Type: TABLE; Schema: public; Owner: postgres
--

CREATE TABLE public.pfile (
    pfile_pk integer,
    note text
);


ALTER TABLE public.pfile OWNER TO postgres;

--
-- Data for Name: pfile; Type: TABLE DATA; Schema: public; Owner: postgres
--

COPY public.pfile (pfile_pk, note) FROM stdin;
7	other database
\.


--
-- PostgreSQL database dump complete
--

\unrestrict HgxtmG9m7CvP10bhUEuVuALWv2RXaplwuwPKgDPDiWO8lDFCatHCELC9DFivwh4

--
-- Database "postgres" dump
--

\connect postgres

--
-- PostgreSQL database dump
--

\restrict Q1XvOS0poqZL2QkN9GQWFZGZKRrGjJmr0nfOqhhhDthqS6XRml5q6KmDsEFRn5V

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
-- PostgreSQL database dump complete
--

\unrestrict Q1XvOS0poqZL2QkN9GQWFZGZKRrGjJmr0nfOqhhhDthqS6XRml5q6KmDsEFRn5V

--
-- PostgreSQL database cluster dump complete
--


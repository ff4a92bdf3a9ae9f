--
-- PostgreSQL database cluster dump
--

\restrict 6YpX1A4VcAyGQ8iBXhViV8mQPsGHM7eqo8PDKLWk96cd1ev6amdOb9uWfNwdUiF

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








\unrestrict 6YpX1A4VcAyGQ8iBXhViV8mQPsGHM7eqo8PDKLWk96cd1ev6amdOb9uWfNwdUiF

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

\restrict BYStRaD1GgW1Su1GhFMtaRMMUYEVwrw4FBQH1GTAdorMdELv0EsQ84CAdoj9Jgi

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

\unrestrict BYStRaD1GgW1Su1GhFMtaRMMUYEVwrw4FBQH1GTAdorMdELv0EsQ84CAdoj9Jgi

--
-- Database "Odd "Name"" dump
--

--
-- PostgreSQL database dump
--

\restrict BxyJY0bAt1XxrtTImbINdITyGNgmnAaS0IJVVMhHsxj8CPgUksfrfwf184tG04r

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

\unrestrict BxyJY0bAt1XxrtTImbINdITyGNgmnAaS0IJVVMhHsxj8CPgUksfrfwf184tG04r
\encoding SQL_ASCII
\connect -reuse-previous=on "dbname='Odd ""Name""'"
\restrict BxyJY0bAt1XxrtTImbINdITyGNgmnAaS0IJVVMhHsxj8CPgUksfrfwf184tG04r

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

\unrestrict BxyJY0bAt1XxrtTImbINdITyGNgmnAaS0IJVVMhHsxj8CPgUksfrfwf184tG04r

--
-- Database "fossology" dump
--

--
-- PostgreSQL database dump
--

\restrict DKiUTM3SRv6o9DdgArClgSRK82BqgHti3T3UkfmAfKEo9DzB5F3mQQOdIHq8597

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

\unrestrict DKiUTM3SRv6o9DdgArClgSRK82BqgHti3T3UkfmAfKEo9DzB5F3mQQOdIHq8597
\connect fossology
\restrict DKiUTM3SRv6o9DdgArClgSRK82BqgHti3T3UkfmAfKEo9DzB5F3mQQOdIHq8597

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
-- Name: Awkward Table; Type: TABLE; Schema: public; Owner: postgres
--

CREATE TABLE public."Awkward Table" (
    id integer,
    "Text Value" text,
    b bytea
);


ALTER TABLE public."Awkward Table" OWNER TO postgres;

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
-- Data for Name: pfile; Type: TABLE DATA; Schema: public; Owner: postgres
--

COPY public.pfile (pfile_pk, pfile_md5, pfile_sha1, pfile_size) FROM stdin;
1	149FD9DAC3A1FF6AD491F95F49E90BF2	403C2B25B9B02A2EBB6817C459B37AFC1F9BA3B5	35328
2	D41D8CD98F00B204E9800998ECF8427E	DA39A3EE5E6B4B0D3255BFEF95601890AFD80709	0
3	\N	\N	\N
\.


--
-- Name: pfile pfile_pkey; Type: CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY public.pfile
    ADD CONSTRAINT pfile_pkey PRIMARY KEY (pfile_pk);


--
-- PostgreSQL database dump complete
--

\unrestrict DKiUTM3SRv6o9DdgArClgSRK82BqgHti3T3UkfmAfKEo9DzB5F3mQQOdIHq8597

--
-- Database "other" dump
--

--
-- PostgreSQL database dump
--

\restrict 8DdgPEosR7JDDVmEQ5SAq8cuyQvlhLQilgGt4chhrltc97IEc4qZOf5hBS0K6qz

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

\unrestrict 8DdgPEosR7JDDVmEQ5SAq8cuyQvlhLQilgGt4chhrltc97IEc4qZOf5hBS0K6qz
\connect other
\restrict 8DdgPEosR7JDDVmEQ5SAq8cuyQvlhLQilgGt4chhrltc97IEc4qZOf5hBS0K6qz

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

\unrestrict 8DdgPEosR7JDDVmEQ5SAq8cuyQvlhLQilgGt4chhrltc97IEc4qZOf5hBS0K6qz

--
-- Database "postgres" dump
--

\connect postgres

--
-- PostgreSQL database dump
--

\restrict KR2bTeLOvh7w2Ft9SQ14g3KckBv6yKUCkQVODHE0WEd7GsdJ9D16Uss6bWbbEab

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

\unrestrict KR2bTeLOvh7w2Ft9SQ14g3KckBv6yKUCkQVODHE0WEd7GsdJ9D16Uss6bWbbEab

--
-- PostgreSQL database cluster dump complete
--


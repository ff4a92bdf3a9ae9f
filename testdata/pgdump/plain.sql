--
-- PostgreSQL database dump
--

\restrict SphuKiOzcoC4PWxEnLafOeFcpl9uIzUVqQuNR8Dd3vbcZseKpUfXXLqLa1IVYXo

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

\unrestrict SphuKiOzcoC4PWxEnLafOeFcpl9uIzUVqQuNR8Dd3vbcZseKpUfXXLqLa1IVYXo


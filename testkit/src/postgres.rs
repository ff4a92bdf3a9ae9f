//! A throwaway PostgreSQL server for tests, started from the system binaries.
//!
//! `initdb` into a temporary directory, then `postgres` as a direct child listening only
//! on a Unix socket in that directory, with fsync off. PostgreSQL refuses to run as root:
//! as root, the directory is given to the `postgres` user and the server runs as that user.
//! The server gets SIGQUIT if the test process dies, so no server outlives its tests.
//!
//! Connection URLs name the socket directory with `host=`: sqlx 0.9 reads a `host` query
//! parameter that starts with `/` as a Unix socket directory (`PgConnectOptions::socket`,
//! `sqlx-postgres/src/options/parse.rs`), and so do libpq and psql.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

/// How long a server may take to accept connections.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// The directory holding `initdb`, `postgres`, `psql`, `pg_dump`: `REPOCHECK_PG_BIN`, else
/// the newest `/usr/lib/postgresql/<version>/bin` with an `initdb`, else `pg_config --bindir`.
pub fn bin_dir() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os("REPOCHECK_PG_BIN") {
        let dir = PathBuf::from(dir);
        if !dir.join("initdb").is_file() {
            bail!("REPOCHECK_PG_BIN={} has no initdb", dir.display());
        }
        return Ok(dir);
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
        .filter(|(_, bin)| bin.join("initdb").is_file())
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return Ok(bin);
    }
    const MISSING: &str = "no PostgreSQL server binaries: install postgresql (initdb, postgres, psql, pg_dump), or set REPOCHECK_PG_BIN to their directory";
    let out = Command::new("pg_config").arg("--bindir").output().context(MISSING)?;
    let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    if !out.status.success() || !dir.join("initdb").is_file() {
        bail!("{MISSING} (pg_config --bindir gives '{}', without initdb)", dir.display());
    }
    Ok(dir)
}

/// The uid and gid to run the server as: `postgres` when we are root, else ourselves.
fn server_user() -> Result<Option<(u32, u32)>> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Ok(None);
    }
    let name = std::ffi::CString::new("postgres").expect("no NUL");
    // SAFETY: getpwnam returns NULL or a pointer to a static record, read at once.
    let pw = unsafe { libc::getpwnam(name.as_ptr()) };
    if pw.is_null() {
        bail!("running as root and there is no 'postgres' user to run the test server as (PostgreSQL refuses root)");
    }
    // SAFETY: pw is non-null and points to a valid passwd record.
    Ok(Some(unsafe { ((*pw).pw_uid, (*pw).pw_gid) }))
}

/// Runs `cmd` as the server user, and has it killed with SIGQUIT when its parent dies.
/// (std switches uid/gid before running `pre_exec` closures.)
fn as_server_user(cmd: &mut Command, user: Option<(u32, u32)>) -> &mut Command {
    if let Some((uid, gid)) = user {
        cmd.uid(uid).gid(gid);
    }
    // SAFETY: prctl is async-signal-safe; it only sets this child's parent-death signal.
    unsafe {
        cmd.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGQUIT);
            Ok(())
        });
    }
    cmd
}

/// The parent-death signal fires when the spawning *thread* ends, and test threads end
/// early: the server is spawned from a thread that lives as long as the process.
fn spawn_from_lasting_thread(mut cmd: Command) -> std::io::Result<Child> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(cmd.spawn());
        loop {
            std::thread::park();
        }
    });
    rx.recv().map_err(|_| std::io::Error::other("the spawning thread died"))?
}

/// A running server; dropped, it stops (SIGQUIT, then wait) and its directory goes.
pub struct TestServer {
    /// Dropped after the server has stopped (fields drop after `Drop::drop`).
    dir: tempfile::TempDir,
    bin: PathBuf,
    child: Option<Child>,
    /// Set when the server was started elsewhere (`REPOCHECK_TEST_PG_SOCKET_DIR`).
    external: Option<PathBuf>,
    port: u16,
    /// The loopback TCP port, when the server also listens there with TLS.
    pub tls_port: Option<u16>,
}

impl TestServer {
    pub fn start() -> Result<TestServer> {
        Self::start_with(false)
    }

    /// A server that also listens on 127.0.0.1 with TLS (a self-signed certificate made with
    /// openssl): TLS is not spoken over Unix sockets.
    pub fn start_with_tls() -> Result<TestServer> {
        Self::start_with(true)
    }

    /// A server someone else started, listening on a socket in `socket_dir` (the port is
    /// read from the socket's name, `.s.PGSQL.<port>`, else 5432). Not stopped on drop.
    pub fn external(socket_dir: &Path) -> Result<TestServer> {
        let port = std::fs::read_dir(socket_dir)
            .with_context(|| format!("cannot read the socket directory {}", socket_dir.display()))?
            .flatten()
            .filter_map(|e| e.file_name().to_str()?.strip_prefix(".s.PGSQL.")?.parse().ok())
            .next()
            .unwrap_or(5432);
        let holder = tempfile::Builder::new().prefix("repocheck-pg-ext-").tempdir()?;
        let server = TestServer { dir: holder, bin: bin_dir()?, child: None, external: Some(socket_dir.to_path_buf()), port, tls_port: None };
        server.database("postgres").psql("SELECT 1").with_context(|| format!("no server answers on {}", socket_dir.display()))?;
        Ok(server)
    }

    fn start_with(tls: bool) -> Result<TestServer> {
        let bin = bin_dir()?;
        let user = server_user()?;
        let dir = tempfile::Builder::new().prefix("repocheck-pg-").tempdir().context("cannot create a directory for the test server")?;
        if let Some((uid, gid)) = user {
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid)).context("cannot give the test server directory to postgres")?;
        }
        let data = dir.path().join("data");
        let out = as_server_user(Command::new(bin.join("initdb")).arg("-D").arg(&data).args(["--auth=trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync"]), user)
            .output()
            .with_context(|| format!("cannot run {}", bin.join("initdb").display()))?;
        if !out.status.success() {
            bail!("initdb failed: {}", String::from_utf8_lossy(&out.stderr).trim());
        }
        let log_path = dir.path().join("server.log");
        let log = std::fs::File::create(&log_path)?;
        if let Some((uid, gid)) = user {
            std::os::unix::fs::chown(&log_path, Some(uid), Some(gid))?;
        }
        let mut tls_args = Vec::new();
        let mut tls_port = None;
        if tls {
            let (cert, key) = (dir.path().join("server.crt"), dir.path().join("server.key"));
            let out = Command::new("openssl")
                .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost", "-keyout"])
                .arg(&key)
                .arg("-out")
                .arg(&cert)
                .output()
                .context("cannot run openssl to make a test certificate")?;
            if !out.status.success() {
                bail!("openssl: {}", String::from_utf8_lossy(&out.stderr).trim());
            }
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600))?;
            if let Some((uid, gid)) = user {
                std::os::unix::fs::chown(&key, Some(uid), Some(gid))?;
                std::os::unix::fs::chown(&cert, Some(uid), Some(gid))?;
            }
            let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
            tls_port = Some(port);
            tls_args = vec![
                "-c".to_string(),
                "listen_addresses=127.0.0.1".to_string(),
                "-c".to_string(),
                "ssl=on".to_string(),
                "-c".to_string(),
                format!("ssl_cert_file={}", cert.display()),
                "-c".to_string(),
                format!("ssl_key_file={}", key.display()),
            ];
        }
        let port = tls_port.unwrap_or(5432);
        let mut cmd = Command::new(bin.join("postgres"));
        cmd.arg("-D")
            .arg(&data)
            .arg("-k")
            .arg(dir.path())
            .args(["-p", &port.to_string()])
            .args(["-c", "listen_addresses=", "-c", "fsync=off", "-c", "full_page_writes=off", "-c", "synchronous_commit=off", "-c", "max_connections=50"])
            .args(&tls_args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log);
        as_server_user(&mut cmd, user);
        let child = spawn_from_lasting_thread(cmd).with_context(|| format!("cannot start {}", bin.join("postgres").display()))?;
        let mut server = TestServer { dir, bin, child: Some(child), external: None, port, tls_port };
        server.wait_ready()?;
        Ok(server)
    }

    /// The port (its Unix socket is `.s.PGSQL.<port>`).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The socket directory (the `host` of a connection).
    pub fn socket_dir(&self) -> &Path {
        self.external.as_deref().unwrap_or(self.dir.path())
    }

    pub fn bin(&self) -> &Path {
        &self.bin
    }

    fn wait_ready(&mut self) -> Result<()> {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            let ok = Command::new(self.bin.join("pg_isready")).arg("-q").arg("-h").arg(self.socket_dir()).args(["-p", &self.port.to_string(), "-U", "postgres"]).status().is_ok_and(|s| s.success());
            if ok {
                return Ok(());
            }
            if let Some(child) = &mut self.child
                && let Ok(Some(status)) = child.try_wait()
            {
                bail!("the test server exited ({status}): {}", self.log_tail());
            }
            if Instant::now() > deadline {
                bail!("the test server did not accept connections within {}s: {}", START_TIMEOUT.as_secs(), self.log_tail());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The last lines of the server log, for error messages.
    pub fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(8)..].join(" | ")
    }

    /// A handle on database `name` of this server (which may not exist yet: see
    /// [`TestDb::create`]).
    pub fn database(&self, name: &str) -> TestDb {
        TestDb { name: name.to_string(), socket: self.socket_dir().to_path_buf(), bin: self.bin.clone(), port: self.port }
    }

    /// A fresh database for one test, named `t<pid>_<counter>_<hint>`.
    pub fn create_database(&self, hint: &str) -> Result<TestDb> {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let clean: String = hint.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' }).take(30).collect();
        let db = self.database(&format!("t{}_{}_{clean}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed)));
        db.create()?;
        Ok(db)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // SIGQUIT: immediate shutdown; the data is thrown away anyway.
            // SAFETY: sending a signal to our own child process.
            unsafe {
                libc::kill(child.id() as i32, libc::SIGQUIT);
            }
            let _ = child.wait();
        }
    }
}

/// The server shared by every test of one test binary, started on first use; or, when
/// `REPOCHECK_TEST_PG_SOCKET_DIR` is set, the server already listening there (a CI script
/// may start one for all test binaries).
///
/// A static is never dropped, so the server is stopped and its directory removed by an
/// `atexit` handler when the test binary exits (the harness returns from `main`).
pub fn shared() -> &'static TestServer {
    SHARED.get_or_init(|| {
        let server = match std::env::var_os("REPOCHECK_TEST_PG_SOCKET_DIR") {
            Some(dir) => TestServer::external(Path::new(&dir)),
            None => TestServer::start(),
        };
        let server = server.unwrap_or_else(|e| panic!("cannot start a PostgreSQL server for the tests: {e:#}"));
        // SAFETY: registers a plain function; it runs once, at exit, on one thread.
        unsafe {
            libc::atexit(stop_shared);
        }
        server
    })
}

static SHARED: OnceLock<TestServer> = OnceLock::new();

extern "C" fn stop_shared() {
    let Some(server) = SHARED.get() else { return };
    if let Some(child) = &server.child {
        let pid = child.id() as libc::pid_t;
        // SAFETY: signalling and reaping our own child, which nobody else waits for.
        unsafe {
            libc::kill(pid, libc::SIGQUIT);
            libc::waitpid(pid, std::ptr::null_mut(), 0);
        }
        let _ = std::fs::remove_dir_all(server.dir.path());
    }
}

/// One database of a test server.
#[derive(Debug, Clone)]
pub struct TestDb {
    pub name: String,
    socket: PathBuf,
    bin: PathBuf,
    port: u16,
}

impl TestDb {
    /// Another database of the same server, by name.
    pub fn named(other: &TestDb, name: &str) -> TestDb {
        TestDb { name: name.to_string(), socket: other.socket.clone(), bin: other.bin.clone(), port: other.port }
    }

    /// `CREATE DATABASE`.
    pub fn create(&self) -> Result<()> {
        self.run_psql("postgres", &format!("CREATE DATABASE {}", quote_ident(&self.name))).map(drop)
    }

    /// `DROP DATABASE`.
    pub fn drop_database(&self) -> Result<()> {
        self.run_psql("postgres", &format!("DROP DATABASE {}", quote_ident(&self.name))).map(drop)
    }

    /// A URL over TCP to the server's TLS port (see `TestServer::start_with_tls`).
    pub fn tls_url(&self, port: u16, sslmode: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{port}/{}?sslmode={sslmode}", self.name)
    }

    /// `postgres://postgres@localhost:<port>/<db>?host=<socket dir>`: sqlx, libpq and psql
    /// take a `host` starting with `/` as the socket directory (percent-encoded here, as the
    /// query is decoded).
    pub fn url(&self) -> String {
        format!("postgres://postgres@localhost:{}/{}?host={}", self.port, self.name, url_encode(&self.socket.to_string_lossy()))
    }

    pub fn socket_dir(&self) -> &Path {
        &self.socket
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    fn client(&self, program: &str) -> Command {
        let mut cmd = Command::new(self.bin.join(program));
        cmd.arg("-h").arg(&self.socket).args(["-p", &self.port.to_string(), "-U", "postgres"]).stdin(Stdio::null());
        cmd
    }

    fn run_psql(&self, db: &str, sql: &str) -> Result<String> {
        let out = self.client("psql").args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", db, "-c", sql]).output().context("cannot run psql")?;
        if !out.status.success() {
            bail!("psql -d {db}: {}", String::from_utf8_lossy(&out.stderr).trim());
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    }

    /// Runs SQL, returns what psql printed (unaligned, tuples only, trimmed).
    pub fn psql(&self, sql: &str) -> Result<String> {
        self.run_psql(&self.name, sql)
    }

    /// `psql -f <path>`, stopping at the first error.
    pub fn psql_file(&self, path: &Path) -> Result<()> {
        let out = self.client("psql").args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", &self.name, "-f"]).arg(path).output().context("cannot run psql")?;
        if !out.status.success() {
            bail!("psql -f {}: {}", path.display(), String::from_utf8_lossy(&out.stderr).trim());
        }
        Ok(())
    }

    /// Runs `program args…`, its output streamed into `out_path` (through the `gzip`
    /// program when `gzip`, as `… | gzip > out` would).
    fn dump(&self, program: &str, args: &[&str], out_path: &Path, gzip: bool) -> Result<()> {
        let file = std::fs::File::create(out_path).with_context(|| format!("cannot create {}", out_path.display()))?;
        let mut cmd = self.client(program);
        cmd.args(args).stderr(Stdio::piped());
        let fail = |what: &str, stderr: &[u8]| anyhow::anyhow!("{what}: {}", String::from_utf8_lossy(stderr).trim());
        if !gzip {
            let out = cmd.stdout(file).output().with_context(|| format!("cannot run {program}"))?;
            if !out.status.success() {
                return Err(fail(program, &out.stderr));
            }
            return Ok(());
        }
        let mut child = cmd.stdout(Stdio::piped()).spawn().with_context(|| format!("cannot run {program}"))?;
        let mut stdout = child.stdout.take().expect("piped");
        match find_program("gzip") {
            Some(gzip) => {
                let zipper = Command::new(gzip).arg("-c").stdin(Stdio::from(stdout)).stdout(file).stderr(Stdio::piped()).spawn().context("cannot run gzip")?;
                let dumped = child.wait_with_output()?;
                let zipped = zipper.wait_with_output()?;
                if !dumped.status.success() {
                    return Err(fail(program, &dumped.stderr));
                }
                if !zipped.status.success() {
                    return Err(fail("gzip", &zipped.stderr));
                }
            }
            None => {
                let mut enc = flate2::write::GzEncoder::new(file, flate2::Compression::default());
                std::io::copy(&mut stdout, &mut enc).context("cannot compress the dump")?;
                enc.finish()?;
                let dumped = child.wait_with_output()?;
                if !dumped.status.success() {
                    return Err(fail(program, &dumped.stderr));
                }
            }
        }
        Ok(())
    }

    /// `pg_dump <db> | gzip > out`.
    pub fn pg_dump_gzip(&self, out: &Path) -> Result<()> {
        self.dump("pg_dump", &[&self.name], out, true)
    }

    /// `pg_dump <db> > out`.
    pub fn pg_dump_plain(&self, out: &Path) -> Result<()> {
        self.dump("pg_dump", &[&self.name], out, false)
    }

    /// `pg_dumpall | gzip > out`: every database of the server.
    pub fn pg_dumpall_gzip(&self, out: &Path) -> Result<()> {
        self.dump("pg_dumpall", &[], out, true)
    }
}

fn find_program(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?).map(|d| d.join(name)).find(|p| p.is_file())
}

fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Percent-encodes all but unreserved characters and `/`.
fn url_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn socket_urls_survive_odd_directories() {
        let db = TestDb { name: "d".into(), socket: PathBuf::from("/tmp/a b+c"), bin: PathBuf::new(), port: 5433 };
        assert_eq!(db.url(), "postgres://postgres@localhost:5433/d?host=/tmp/a%20b%2Bc");
    }
}

//! A throwaway PostgreSQL server for tests, started from the system binaries.
//!
//! `initdb` into a temporary directory, then `postgres` as a direct child listening only
//! on a Unix socket in that directory, with fsync off. PostgreSQL refuses to run as root:
//! as root, the directory is given to the `postgres` user and the server runs as that user.
//! The server gets SIGQUIT if the test process dies, so no server outlives its tests.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

/// The directory holding `initdb`, `postgres`, `psql`, `pg_dump`.
pub fn bin_dir() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os("REPOCHECK_PG_BIN") {
        return Ok(PathBuf::from(dir));
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
        .filter(|(_, bin)| bin.join("initdb").exists())
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return Ok(bin);
    }
    let out = Command::new("pg_config").arg("--bindir").output().context("no PostgreSQL server binaries (install postgresql, or set REPOCHECK_PG_BIN)")?;
    Ok(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
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
        bail!("running as root and there is no 'postgres' user to run the test server as");
    }
    // SAFETY: pw is non-null and points to a valid passwd record.
    Ok(Some(unsafe { ((*pw).pw_uid, (*pw).pw_gid) }))
}

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

/// A running server; dropped, it stops and its directory goes.
pub struct TestServer {
    dir: tempfile::TempDir,
    bin: PathBuf,
    child: Option<Child>,
    /// Set when the server was started elsewhere (`REPOCHECK_TEST_PG_SOCKET_DIR`).
    external: Option<PathBuf>,
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
        let log = std::fs::File::create(dir.path().join("server.log"))?;
        if let Some((uid, gid)) = user {
            std::os::unix::fs::chown(dir.path().join("server.log"), Some(uid), Some(gid))?;
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
                format!("port={port}"),
                "-c".to_string(),
                "ssl=on".to_string(),
                "-c".to_string(),
                format!("ssl_cert_file={}", cert.display()),
                "-c".to_string(),
                format!("ssl_key_file={}", key.display()),
            ];
        }
        let mut cmd = Command::new(bin.join("postgres"));
        cmd.arg("-D")
            .arg(&data)
            .arg("-k")
            .arg(dir.path())
            .args(["-c", "listen_addresses=", "-c", "fsync=off", "-c", "full_page_writes=off", "-c", "synchronous_commit=off", "-c", "max_connections=50"])
            .args(&tls_args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log);
        as_server_user(&mut cmd, user);
        let child = spawn_from_lasting_thread(cmd).context("cannot start the test server")?;
        let mut server = TestServer { dir, bin, child: Some(child), external: None, tls_port };
        server.wait_ready()?;
        Ok(server)
    }

    /// The port (its Unix socket is `.s.PGSQL.<port>`).
    pub fn port(&self) -> u16 {
        self.tls_port.unwrap_or(5432)
    }

    /// The socket directory (the `host` of a connection).
    pub fn socket_dir(&self) -> &Path {
        self.external.as_deref().unwrap_or(self.dir.path())
    }

    fn wait_ready(&mut self) -> Result<()> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let ok = Command::new(self.bin.join("pg_isready")).arg("-q").arg("-h").arg(self.socket_dir()).args(["-p", &self.port().to_string(), "-U", "postgres"]).status().is_ok_and(|s| s.success());
            if ok {
                return Ok(());
            }
            if let Some(child) = &mut self.child
                && let Ok(Some(status)) = child.try_wait()
            {
                bail!("the test server exited ({status}): {}", self.log_tail());
            }
            if Instant::now() > deadline {
                bail!("the test server did not start within a minute: {}", self.log_tail());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default();
        log.lines().rev().take(5).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join(" | ")
    }

    /// A fresh database for one test.
    pub fn create_database(&self, hint: &str) -> Result<TestDb> {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let clean: String = hint.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' }).take(30).collect();
        let name = format!("t{}_{}_{clean}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed));
        let db = TestDb { name: name.clone(), socket: self.socket_dir().to_path_buf(), bin: self.bin.clone(), port: self.port() };
        db.run_psql("postgres", &format!("CREATE DATABASE \"{name}\""))?;
        Ok(db)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // SAFETY: sending a signal to our own child process.
            unsafe {
                libc::kill(child.id() as i32, libc::SIGQUIT);
            }
            let _ = child.wait();
        }
    }
}

/// The server shared by every test of one test binary (or an already running one, named by
/// `REPOCHECK_TEST_PG_SOCKET_DIR`).
pub fn shared() -> &'static TestServer {
    static SERVER: OnceLock<TestServer> = OnceLock::new();
    SERVER.get_or_init(|| {
        if let Some(dir) = std::env::var_os("REPOCHECK_TEST_PG_SOCKET_DIR") {
            let bin = bin_dir().expect("PostgreSQL binaries");
            let holder = tempfile::tempdir().expect("temp dir");
            return TestServer { dir: holder, bin, child: None, external: Some(PathBuf::from(dir)), tls_port: None };
        }
        TestServer::start().unwrap_or_else(|e| panic!("cannot start a PostgreSQL server for the tests: {e:#}"))
    })
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

    /// A URL over TCP to the server's TLS port (see `TestServer::start_with_tls`).
    pub fn tls_url(&self, port: u16, sslmode: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{port}/{}?sslmode={sslmode}", self.name)
    }

    /// A URL for repocheck (`host=` names the socket directory).
    pub fn url(&self) -> String {
        format!("postgres://postgres@localhost:{}/{}?host={}", self.port, self.name, self.socket.display())
    }

    fn run_psql(&self, db: &str, sql: &str) -> Result<String> {
        let out = Command::new(self.bin.join("psql"))
            .args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h"])
            .arg(&self.socket)
            .args(["-p", &self.port.to_string(), "-U", "postgres", "-d", db, "-c", sql])
            .output()
            .context("cannot run psql")?;
        if !out.status.success() {
            bail!("psql: {}", String::from_utf8_lossy(&out.stderr).trim());
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    }

    /// Runs SQL, returns what psql printed (unaligned, tuples only).
    pub fn psql(&self, sql: &str) -> Result<String> {
        self.run_psql(&self.name, sql)
    }

    pub fn psql_file(&self, path: &Path) -> Result<()> {
        let out = Command::new(self.bin.join("psql"))
            .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-h"])
            .arg(&self.socket)
            .args(["-p", &self.port.to_string(), "-U", "postgres", "-d", &self.name, "-f"])
            .arg(path)
            .output()
            .context("cannot run psql")?;
        if !out.status.success() {
            bail!("psql -f {}: {}", path.display(), String::from_utf8_lossy(&out.stderr).trim());
        }
        Ok(())
    }

    fn dump(&self, program: &str, args: &[&str], out_path: &Path, gzip: bool) -> Result<()> {
        let mut cmd = Command::new(self.bin.join(program));
        cmd.args(["-h"]).arg(&self.socket).args(["-p", &self.port.to_string(), "-U", "postgres"]).args(args);
        let out = cmd.output().with_context(|| format!("cannot run {program}"))?;
        if !out.status.success() {
            bail!("{program}: {}", String::from_utf8_lossy(&out.stderr).trim());
        }
        if gzip {
            use std::io::Write;
            let file = std::fs::File::create(out_path)?;
            let mut enc = flate2::write::GzEncoder::new(file, flate2::Compression::default());
            enc.write_all(&out.stdout)?;
            enc.finish()?;
        } else {
            std::fs::write(out_path, &out.stdout)?;
        }
        Ok(())
    }

    /// `pg_dump <db> | gzip > out`.
    pub fn pg_dump_gzip(&self, out: &Path) -> Result<()> {
        self.dump("pg_dump", &[&self.name], out, true)
    }

    pub fn pg_dump_plain(&self, out: &Path) -> Result<()> {
        self.dump("pg_dump", &[&self.name], out, false)
    }

    /// `pg_dumpall | gzip > out`: every database of the server.
    pub fn pg_dumpall_gzip(&self, out: &Path) -> Result<()> {
        self.dump("pg_dumpall", &[], out, true)
    }
}

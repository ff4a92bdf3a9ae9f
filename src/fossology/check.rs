//! The FOSSology check, as one pass: the configuration, the tables (`metadata.rs`), the
//! streaming merge with the repository walk (`merge.rs`, `trees.rs`, `walk.rs`), the
//! decisions that wait for the end (`decide.rs`), and the scratch directories
//! (`scratch.rs`).

use anyhow::{Context, Result, bail};
use serde_json::json;

use super::Params;
use super::Rule;
use super::conf::{ConfFiles, HostRange, Layout, read_conf};
use super::fs::{ROOT, report_unreadable};
use super::layout::infer_layout;
use super::merge::Run;
use super::metadata;
pub use super::options::CheckOptions;
use super::options::{Inputs, Level};
use crate::details;
use crate::engine::finding::Repair;
use crate::engine::report::Target;
use crate::engine::sink::Sink;
use crate::engine::tables::{DbSource, check_dump};

/// A FOSSology check, vetted and resolved before anything runs: the options, the
/// configuration read, the layout found (from the configuration, or inferred from the
/// repository), `--host` known to it.
#[derive(Debug)]
pub struct Resolved {
    pub opts: CheckOptions,
    pub conf: Option<ConfFiles>,
    pub layout: Layout,
    /// Why the repository root could not be listed to infer the layout (an
    /// `entry-unreadable` finding of the check).
    pub root_unreadable: Option<String>,
}

/// The report's target (the inputs as given) and the resolved check. The repository must
/// be a readable directory, a dump file must exist, `--host` must be a host of the layout.
pub fn validate(mut opts: CheckOptions) -> Result<(Target, Resolved)> {
    // One name range from here on: `--shard K/N` is the range it names.
    opts.range = opts.range.take().or(opts.shard.take());
    let repo = &opts.inputs.repo;
    match std::fs::metadata(repo) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => bail!("--repo {}: not a directory", repo.display()),
        Err(e) => bail!("--repo {}: {}", repo.display(), e),
    }
    std::fs::read_dir(repo).with_context(|| format!("--repo {}: cannot read the repository root", repo.display()))?;
    if let DbSource::Dump(path) = &opts.inputs.db {
        check_dump("--db", path)?;
    }
    let mut target = Target::new("fossology").input("db", opts.inputs.db.display()).input("repo", repo.display().to_string());
    if let Some(c) = &opts.inputs.conf {
        target = target.input("conf", c.display().to_string());
    }
    if matches!(opts.inputs.db, DbSource::Dump(_)) {
        target = target.input("db_name", opts.inputs.db_name.clone());
    }
    target.level = Some(opts.level.as_str().to_string());
    if opts.subset.is_some() && opts.level != Level::Content {
        bail!("--subset chooses which objects --level content re-hashes: give --level content too");
    }
    let (conf, layout, root_unreadable) = resolve_layout(&opts.inputs)?;
    if let Some(host) = &opts.host
        && !layout.hosts.iter().any(|h| &h.host == host)
    {
        bail!("--host {host}: not a [REPOSITORY] host of {} (hosts: {})", layout.origin, layout.host_dirs().join(", "));
    }
    Ok((target, Resolved { opts, conf, layout, root_unreadable }))
}

/// The configuration (when `--conf` names one) and the layout it gives, or the layout
/// inferred from the repository (with why the root could not be listed, if it could not):
/// what `check` and `plan` both go by.
pub fn resolve_layout(inputs: &Inputs) -> Result<(Option<ConfFiles>, Layout, Option<String>)> {
    let conf = inputs.conf.as_deref().map(read_conf).transpose()?;
    let (layout, unreadable) = match conf.as_ref().and_then(|c| c.layout.clone()) {
        Some(layout) => (layout, None),
        None => {
            let inferred = infer_layout(&inputs.repo);
            (inferred.layout, inferred.root_unreadable.map(|e| e.to_string()))
        }
    };
    Ok((conf, layout, unreadable))
}

/// Runs every FOSSology rule on one installation.
pub fn check(resolved: &Resolved, params: &Params, sink: &Sink) -> Result<()> {
    let Resolved { opts, conf, layout, root_unreadable } = resolved;
    if let Some(e) = root_unreadable {
        report_unreadable(sink, ROOT, e);
    }
    sink.scope("layout", json!({"depth": layout.depth, "hosts": layout.hosts.iter().map(describe_host).collect::<Vec<_>>(), "from": layout.origin}));
    if let Some(r) = &opts.range {
        sink.scope("range", json!(r.to_string()));
    }
    if let Some(h) = &opts.host {
        sink.scope("host", json!(h));
    }
    if let Some(s) = &opts.subset {
        sink.scope("subset", json!(s.to_string()));
    }
    if opts.level == Level::Content {
        // Which digests the content verdict rests on (the rule's `digests` parameter).
        sink.scope("digests", json!(params.content_mismatch.digests.names()));
    }
    if opts.range.is_some() || opts.host.is_some() || opts.subset.is_some() {
        sink.stats.start_share();
    }

    if let Some(conf) = &conf {
        for (path, why) in &conf.problems {
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            sink.emit(
                Rule::ConfigMissing,
                path.display().to_string(),
                format!("{name} is {why}: a restore needs it{}", if name == "fossology.conf" { " (the layout was inferred from the repository instead)" } else { "" }),
                details! { "file" => name, "problem" => why },
                Some(Repair::restore_from_backup(path.display().to_string())),
            );
        }
    }

    // What a moving FOSSology can cause is held back and looked at again at the end.
    let (held_sink, hold) = sink.holding(&super::live::held_ids())?;
    let meta = metadata::read(&opts.inputs.db, &opts.inputs.db_name, &held_sink)?;
    report_active_jobs(&meta.active_jobs, sink);
    let running = meta.open_jobs.iter().filter(|j| j.started.is_some()).count();
    sink.scope("jobs", json!({"quiet": running == 0, "running": running, "queued": meta.open_jobs.len() - running}));

    let open_jobs = meta.open_jobs.clone();
    let perms =
        super::perms::Perms::new(&opts.inputs.repo, conf.as_ref().map(|c| c.project.clone()).unwrap_or_default(), opts.level, opts.range.is_some() || opts.host.is_some(), &params.permissions, sink);
    Run::new(opts, layout, &held_sink, &meta.uploads, params.layout_mismatch.clone()).perms(&perms).merge(meta.objects, params.content_mismatch.digests)?;
    perms.finish(&opts.inputs.repo, &layout.host_dirs(), &params.scratch_leftover.dirs, sink);
    super::live::second_look(&opts.inputs.db, &opts.inputs.repo, &meta.uploads, &open_jobs, &params.in_flight, &hold, sink)?;
    drop(held_sink);
    // The plan names each upload it lists by its file name.
    for key in sink.unit_keys("fossology", "upload") {
        if let Some(upload) = key.parse().ok().and_then(|id: i64| meta.uploads.get(&id)) {
            let owner = upload.user_fk.and_then(|u| meta.users.get(&u)).cloned();
            sink.describe_unit("fossology", "upload", &key, format!("upload {key} ({})", upload.filename), owner);
        }
    }
    super::scratch::report_scratch(&opts.inputs.repo, &params.scratch_leftover.dirs, sink);
    Ok(())
}

fn describe_host(h: &HostRange) -> String {
    format!("{}[] = {} {} {}", h.host, h.object_type.as_deref().unwrap_or("*"), h.start, h.end)
}

fn report_active_jobs(jobs: &[metadata::ActiveJob], sink: &Sink) {
    for j in jobs {
        let upload = j.upload.map(|u| format!(" of upload {u}")).unwrap_or_default();
        sink.emit(
            Rule::JobsActive,
            format!("jobqueue {}", j.jq_pk),
            format!("{} job {}{upload} started {} and has not ended: the scheduler is not quiesced", j.jq_type, j.job, j.started),
            details! { "jq_pk" => j.jq_pk, "job" => j.job, "jq_type" => j.jq_type, "jq_args" => j.args, "upload" => j.upload, "started" => j.started },
            None,
        );
    }
}

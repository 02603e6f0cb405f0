//! Batch durability: a run killed with SIGKILL at any moment, then rerun, gives the table of one
//! uninterrupted run, with every case finished before the kill kept (not computed again); plus the
//! output lock, `--out` equal to an input, changed settings or inputs, and `--prune`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use radiomics::synthetic::{cohort, write_cohort};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_radiomics"))
}

/// A small synthetic cohort (its first `n` cases) and its manifest.
fn manifest(dir: &Path, n: usize) -> PathBuf {
    let cases: Vec<_> = cohort(7).into_iter().take(n).collect();
    write_cohort(&cases, &dir.join("cohort")).unwrap()
}

fn batch(manifest: &Path, out: &Path, extra: &[&str]) -> Output {
    bin()
        .args(["batch", "--manifest"])
        .arg(manifest)
        .arg("--out")
        .arg(out)
        .args(["--jobs", "2"])
        .args(extra)
        .output()
        .unwrap()
}

/// The `N computed, M kept` counts of a batch's summary line.
fn counts(o: &Output) -> (usize, usize) {
    let err = String::from_utf8_lossy(&o.stderr);
    let line = err
        .lines()
        .find(|l| l.contains(" computed, "))
        .unwrap_or_else(|| panic!("no summary in: {err}"));
    let n: Vec<usize> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .take(2)
        .map(|s| s.parse().unwrap())
        .collect();
    (n[0], n[1])
}

/// Complete journal lines (cases durably finished) of `out`.
fn journal_cases(out: &Path) -> usize {
    let j = out.with_file_name(format!(
        "{}.journal",
        out.file_name().unwrap().to_string_lossy()
    ));
    std::fs::read_to_string(j)
        .map(|t| t.lines().filter(|l| l.ends_with(",ok")).count())
        .unwrap_or(0)
}

#[test]
fn kill_at_any_moment_then_rerun_gives_the_uninterrupted_table() {
    let dir = tempfile_dir("kill");
    let n = 12;
    let m = manifest(&dir, n);
    let reference = dir.join("reference.csv");
    let o = batch(&m, &reference, &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(counts(&o), (n, 0));
    let expected = std::fs::read_to_string(&reference).unwrap();
    // How long one uninterrupted run takes, to spread the kills over it.
    let t0 = Instant::now();
    let o = batch(&m, &dir.join("timing.csv"), &[]);
    assert!(o.status.success());
    let span = t0.elapsed();
    for (k, fraction) in [0.05, 0.2, 0.35, 0.5, 0.65, 0.8, 0.95].iter().enumerate() {
        let out = dir.join(format!("killed{k}.csv"));
        let mut child = bin()
            .args(["batch", "--manifest"])
            .arg(&m)
            .arg("--out")
            .arg(&out)
            .args(["--jobs", "2"])
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(span.mul_f64(*fraction));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        // What the killed run finished durably: in the table when it got that far, else the journal.
        let finished = if out.exists() {
            std::fs::read_to_string(&out).unwrap().lines().count() - 1
        } else {
            journal_cases(&out)
        };
        let o = batch(&m, &out, &[]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let (computed, kept) = counts(&o);
        assert_eq!(kept, finished, "kill {k}: every finished case is kept");
        assert_eq!(
            computed + kept,
            n,
            "kill {k}: every other case computed once"
        );
        assert_eq!(
            std::fs::read_to_string(&out).unwrap(),
            expected,
            "kill {k}: the same table"
        );
        assert_eq!(journal_cases(&out), 0, "the journal is gone once merged");
    }
}

#[test]
fn outputs_inputs_settings_and_pruning() {
    let dir = tempfile_dir("rules");
    let m = manifest(&dir, 4);
    let out = dir.join("t.csv");
    // --out equal to the manifest: refused, the manifest untouched.
    let before = std::fs::read(&m).unwrap();
    let o = batch(&m, &m, &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("is one of the inputs"));
    assert_eq!(std::fs::read(&m).unwrap(), before);

    assert!(batch(&m, &out, &[]).status.success());
    let full = std::fs::read_to_string(&out).unwrap();
    assert_eq!(full.lines().count(), 5);

    // A smaller manifest keeps the other rows unless --prune.
    let text = std::fs::read_to_string(&m).unwrap();
    let small = dir.join("cohort").join("small.csv");
    let lines: Vec<&str> = text.lines().collect();
    std::fs::write(&small, format!("{}\n{}\n", lines[0], lines[1])).unwrap();
    let o = batch(&small, &out, &[]);
    assert!(o.status.success());
    assert_eq!(counts(&o), (0, 1));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), full);
    let o = batch(&small, &out, &["--prune"]);
    assert!(o.status.success());
    assert_eq!(std::fs::read_to_string(&out).unwrap().lines().count(), 2);

    // Other settings on the same table: refused with what to do.
    let params = dir.join("p.yaml");
    std::fs::write(&params, "setting:\n  binWidth: 10\n").unwrap();
    let o = batch(&m, &out, &["--params", params.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("other settings") && err.contains("another --out"),
        "{err}"
    );

    // A case whose label changed in the manifest: refused, naming it.
    let relabelled = dir.join("cohort").join("relabelled.csv");
    let mut f: Vec<String> = lines[1].split(',').map(str::to_string).collect();
    f[2] = if f[2] == "1" { "0".into() } else { "1".into() };
    std::fs::write(&relabelled, format!("{}\n{}\n", lines[0], f.join(","))).unwrap();
    let o = batch(&relabelled, &out, &[]);
    assert_eq!(o.status.code(), Some(3));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(&format!("case '{}'", f[0])) && err.contains("label"),
        "{err}"
    );

    // --params for a modality the manifest lacks: refused.
    let o = batch(
        &m,
        &dir.join("u.csv"),
        &["--params", &format!("dwi={}", params.display())],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("modality 'dwi'"));
}

#[test]
fn a_second_run_on_one_output_is_refused_while_the_first_holds_it() {
    let dir = tempfile_dir("lock");
    let m = manifest(&dir, 8);
    let out = dir.join("t.csv");
    let mut first = bin()
        .args(["batch", "--manifest"])
        .arg(&m)
        .arg("--out")
        .arg(&out)
        .args(["--jobs", "1"])
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the first run holds the lock (its lock file exists), then start a second.
    let lock = dir.join("t.csv.lock");
    let t0 = Instant::now();
    while !lock.exists() && t0.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(5));
    }
    let second = batch(&m, &out, &[]);
    let first_status = first.wait().unwrap();
    assert!(first_status.success());
    if second.status.success() {
        // The first run ended before the second started: then it simply kept every row.
        assert_eq!(counts(&second), (0, 8));
    } else {
        let err = String::from_utf8_lossy(&second.stderr);
        assert!(err.contains("another batch run is writing"), "{err}");
        assert_eq!(second.status.code(), Some(3));
    }
}

fn tempfile_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "radiomics-hostile-batch-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

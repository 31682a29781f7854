//! FerretDB (MongoDB wire protocol, SQLite backend) and a minimal OP_MSG ping.

use super::*;

// ---------------------------------------------------------------------------------------------
// FerretDB

pub(super) fn ensure_ferretdb(dirs: &Dirs, go: &Path) -> Result<(), String> {
    let p = ferretdb_proc();
    if let Some(pid) = owned_pid(dirs, &p) {
        wait_ready(dirs, &p, Watch::Pid(pid), MONGO_TIMEOUT, || {
            mongo_ping(MONGO_PORT)
        })?;
        say(&p.name, format!("already running (pid {pid})"));
        return Ok(());
    }
    ensure_port_free(&p.name, p.port)?;
    let binary = build_ferretdb(dirs, go)?;
    let dir = dirs.state.join("ferretdb");
    recreate_dir(&dir)?;
    let data = dir.join("data");
    create_dir(&data)?;
    let mut cmd = Command::new(&binary);
    cmd.arg("-listen")
        .arg(format!("{HOST}:{MONGO_PORT}"))
        .arg("-dir")
        .arg(&data)
        .current_dir(&dir);
    let mut child = spawn(dirs, &p, &mut cmd)?;
    wait_ready(dirs, &p, Watch::Child(&mut child), MONGO_TIMEOUT, || {
        mongo_ping(MONGO_PORT)
    })?;
    say(
        &p.name,
        format!(
            "ready on {HOST}:{MONGO_PORT} (MongoDB wire protocol, pid {})",
            child.id()
        ),
    );
    Ok(())
}

/// Builds `deploy/ferretdb` into the cache unless a build of the same sources is there.
pub(super) fn build_ferretdb(dirs: &Dirs, go: &Path) -> Result<PathBuf, String> {
    let src = dirs.root.join("deploy").join("ferretdb");
    let bin_dir = cache_dir()?.join("bin");
    let binary = bin_dir.join("ferretdb-wrapper");
    let stamp = bin_dir.join("ferretdb-wrapper.sources");
    let fingerprint = sources_fingerprint(&src)?;
    if binary.is_file() && fs::read_to_string(&stamp).is_ok_and(|s| s == fingerprint) {
        return Ok(binary);
    }
    say(
        "ferretdb",
        format!(
            "building {} (takes about a minute the first time)",
            src.display()
        ),
    );
    create_dir(&bin_dir)?;
    let tmp = bin_dir.join("ferretdb-wrapper.tmp");
    let mut go = Command::new(go);
    go.args(["build", "-trimpath", "-buildvcs=false", "-o"])
        .arg(&tmp)
        .arg(".")
        // FerretDB's SQLite driver is pure Go; no C toolchain needed.
        .env("CGO_ENABLED", "0")
        .current_dir(&src);
    run_checked(&mut go, BUILD_TIMEOUT)?;
    fs::rename(&tmp, &binary)
        .map_err(|e| format!("renaming {} to {}: {e}", tmp.display(), binary.display()))?;
    write_atomically(&stamp, &fingerprint)?;
    Ok(binary)
}

/// FNV-1a over the names and contents of the wrapper's `.go`, `go.mod` and `go.sum` files.
pub(super) fn sources_fingerprint(src: &Path) -> Result<String, String> {
    let entries = fs::read_dir(src).map_err(|e| format!("reading {}: {e}", src.display()))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| {
            path.extension().is_some_and(|ext| ext == "go")
                || path
                    .file_name()
                    .is_some_and(|name| name == "go.mod" || name == "go.sum")
        })
        .collect();
    if !files.iter().any(|f| f.ends_with("go.mod")) {
        return Err(format!("{} has no go.mod", src.display()));
    }
    files.sort();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for file in files {
        let contents = fs::read(&file).map_err(|e| format!("reading {}: {e}", file.display()))?;
        let name = file.file_name().map(|n| n.as_encoded_bytes().to_vec());
        for byte in name.unwrap_or_default().iter().chain(&[0]).chain(&contents) {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    Ok(format!("{hash:016x}\n"))
}

/// Sends `{ping: 1, $db: "admin"}` as an OP_MSG and expects `ok: 1` back.
pub(super) fn mongo_ping(port: u16) -> Result<(), String> {
    let mut stream = connect(port)?;
    stream
        .write_all(&op_msg(1, &ping_document()))
        .map_err(|e| format!("sending ping to port {port}: {e}"))?;
    let mut header = [0u8; 16];
    stream
        .read_exact(&mut header)
        .map_err(|e| format!("reading ping reply from port {port}: {e}"))?;
    let len = le_i32(&header, 0)
        .and_then(|len| usize::try_from(len).ok())
        .filter(|len| (21..=48_000_000).contains(len))
        .ok_or("bad message length in ping reply")?;
    if le_i32(&header, 12) != Some(OP_MSG) {
        return Err("ping reply is not an OP_MSG".into());
    }
    let mut body = vec![0; len - header.len()];
    stream
        .read_exact(&mut body)
        .map_err(|e| format!("reading ping reply from port {port}: {e}"))?;
    check_ok_reply(&body)
}

pub(super) const OP_MSG: i32 = 2013;

pub(super) fn ping_document() -> Vec<u8> {
    let mut elements = Vec::new();
    elements.push(0x10); // int32
    elements.extend_from_slice(b"ping\0");
    elements.extend_from_slice(&1i32.to_le_bytes());
    elements.push(0x02); // string
    elements.extend_from_slice(b"$db\0");
    elements.extend_from_slice(&6i32.to_le_bytes());
    elements.extend_from_slice(b"admin\0");
    elements.push(0); // end of document
    bson_framed(&elements)
}

/// Prefixes the little-endian int32 total length that BSON documents and wire messages share.
pub(super) fn bson_framed(rest: &[u8]) -> Vec<u8> {
    let len = i32::try_from(rest.len() + 4).unwrap_or(i32::MAX);
    let mut out = len.to_le_bytes().to_vec();
    out.extend_from_slice(rest);
    out
}

pub(super) fn op_msg(request_id: i32, document: &[u8]) -> Vec<u8> {
    let mut rest = Vec::new();
    rest.extend_from_slice(&request_id.to_le_bytes());
    rest.extend_from_slice(&0i32.to_le_bytes()); // responseTo
    rest.extend_from_slice(&OP_MSG.to_le_bytes());
    rest.extend_from_slice(&0u32.to_le_bytes()); // flagBits
    rest.push(0); // section kind 0: body document
    rest.extend_from_slice(document);
    bson_framed(&rest)
}

/// Checks an OP_MSG body (after the 16-byte header) for `ok: 1`.
pub(super) fn check_ok_reply(body: &[u8]) -> Result<(), String> {
    if body.get(4) != Some(&0) {
        return Err("ping reply does not start with a body section".into());
    }
    let fields = bson_fields(body.get(5..).unwrap_or_default())?;
    let field = |key: &str| {
        fields
            .iter()
            .find(|(k, _, _)| k == key)
            .map(|&(_, kind, value)| (kind, value))
    };
    let ok = match field("ok") {
        Some((0x01, v)) => v.try_into().map(f64::from_le_bytes).is_ok_and(|x| x == 1.0),
        Some((0x10, v)) => v.try_into().map(i32::from_le_bytes).is_ok_and(|x| x == 1),
        Some((0x12, v)) => v.try_into().map(i64::from_le_bytes).is_ok_and(|x| x == 1),
        Some((0x08, v)) => v == [1],
        _ => false,
    };
    if ok {
        return Ok(());
    }
    let message = match field("errmsg") {
        Some((0x02, v)) => String::from_utf8_lossy(v.get(4..).unwrap_or_default())
            .trim_end_matches('\0')
            .to_owned(),
        _ => "no errmsg".into(),
    };
    Err(format!("ping did not return ok: 1 ({message})"))
}

/// A top-level element of a BSON document: (key, type byte, raw value bytes).
pub(super) type BsonField<'a> = (String, u8, &'a [u8]);

/// The top-level elements of a BSON document.
pub(super) fn bson_fields(doc: &[u8]) -> Result<Vec<BsonField<'_>>, String> {
    let bad = || "malformed BSON in reply".to_string();
    let total = le_i32(doc, 0)
        .and_then(|n| usize::try_from(n).ok())
        .filter(|&n| n >= 5 && n <= doc.len())
        .ok_or_else(bad)?;
    let doc = &doc[..total - 1];
    let len_at = |at: usize| {
        le_i32(doc, at)
            .and_then(|n| usize::try_from(n).ok())
            .ok_or_else(bad)
    };
    let mut fields = Vec::new();
    let mut at = 4;
    while at < doc.len() {
        let kind = doc[at];
        let key_len = doc[at + 1..].iter().position(|&b| b == 0).ok_or_else(bad)?;
        let key = String::from_utf8_lossy(&doc[at + 1..at + 1 + key_len]).into_owned();
        at += key_len + 2;
        let size = match kind {
            0x01 | 0x09 | 0x11 | 0x12 => 8,
            0x02 | 0x0D | 0x0E => 4 + len_at(at)?,
            0x03 | 0x04 => len_at(at)?,
            0x05 => 5 + len_at(at)?,
            0x07 => 12,
            0x08 => 1,
            0x06 | 0x0A | 0x7F | 0xFF => 0,
            0x10 => 4,
            0x13 => 16,
            other => return Err(format!("unsupported BSON type {other:#04x} in reply")),
        };
        let value = doc.get(at..at + size).ok_or_else(bad)?;
        fields.push((key, kind, value));
        at += size;
    }
    Ok(fields)
}

pub(super) fn le_i32(bytes: &[u8], at: usize) -> Option<i32> {
    let raw = bytes.get(at..at.checked_add(4)?)?;
    raw.try_into().ok().map(i32::from_le_bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ping_message_is_well_formed() {
        let doc = ping_document();
        assert_eq!(le_i32(&doc, 0), Some(doc.len() as i32));
        let fields = bson_fields(&doc).unwrap();
        let keys: Vec<&str> = fields.iter().map(|(k, _, _)| k.as_str()).collect();
        assert_eq!(keys, ["ping", "$db"]);

        let msg = op_msg(7, &doc);
        assert_eq!(le_i32(&msg, 0), Some(msg.len() as i32));
        assert_eq!(le_i32(&msg, 12), Some(OP_MSG));
        assert_eq!(&msg[21..], &doc[..]);
    }

    fn reply(elements: &[u8]) -> Vec<u8> {
        let mut doc = elements.to_vec();
        doc.push(0);
        let mut body = vec![0, 0, 0, 0, 0];
        body.extend(bson_framed(&doc));
        body
    }

    #[test]
    fn ok_reply_is_accepted() {
        let mut ok = vec![0x01];
        ok.extend_from_slice(b"ok\0");
        ok.extend_from_slice(&1.0f64.to_le_bytes());
        assert_eq!(check_ok_reply(&reply(&ok)), Ok(()));
    }

    #[test]
    fn error_reply_shows_errmsg() {
        let mut err = vec![0x01];
        err.extend_from_slice(b"ok\0");
        err.extend_from_slice(&0.0f64.to_le_bytes());
        err.push(0x02);
        err.extend_from_slice(b"errmsg\0");
        err.extend_from_slice(&5i32.to_le_bytes());
        err.extend_from_slice(b"boom\0");
        let msg = check_ok_reply(&reply(&err)).unwrap_err();
        assert!(msg.contains("boom"), "{msg}");
    }

    #[test]
    fn truncated_bson_is_an_error() {
        assert!(bson_fields(&[10, 0, 0, 0, 0x10, b'a']).is_err());
        assert!(bson_fields(&[]).is_err());
    }

    #[test]
    fn env_lists_every_service() {
        let env = env_contents();
        assert!(env.contains("QUIZ_TEST_REDIS_URL=redis://127.0.0.1:6390/\n"));
        assert!(env.contains("redis://127.0.0.1:7001/,redis://127.0.0.1:7002/,"));
        assert!(env.contains("redis://127.0.0.1:7006/\n"));
        assert!(env.contains("QUIZ_TEST_KAFKA_BROKERS=127.0.0.1:19092\n"));
        assert!(env.contains("QUIZ_TEST_MONGO_URL=mongodb://127.0.0.1:27018/\n"));
    }
}

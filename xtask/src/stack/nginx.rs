//! The nginx in front of the stack's servers: its binary and its generated configuration.

use std::fs;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use super::HOST;

pub(super) fn nginx_binary() -> Result<PathBuf, String> {
    ["/usr/sbin/nginx", "/usr/bin/nginx"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .or_else(|| crate::install::find_on_path("nginx"))
        .ok_or_else(|| "nginx is not installed (apt-get install nginx-light)".into())
}

pub(super) fn nginx_conf(dir: &Path, port: u16, servers: &[SocketAddr]) -> Result<PathBuf, String> {
    let d = dir.display();
    let upstream: String = servers
        .iter()
        .map(|a| format!("        server {a};\n"))
        .collect();
    let conf = format!(
        r#"daemon off;
worker_processes 1;
pid {d}/nginx.pid;
error_log stderr warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {d}/body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    upstream quiz {{
        least_conn;
{upstream}    }}
    map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
    server {{
        listen {HOST}:{port};
        location / {{
            proxy_pass http://quiz;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_read_timeout 120s;
            proxy_next_upstream error timeout;
        }}
    }}
}}
"#
    );
    let path = dir.join("nginx.conf");
    fs::write(&path, conf).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(path)
}

//! The bridge inside the sandbox: a listener on `127.0.0.1:<port>` in the
//! sandbox's own network namespace that carries each connection, byte for
//! byte, over a unix socket to the task's proxy outside. It is the only way
//! out: the namespace has no other interface than loopback.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};

/// Bind the bridge's listener (before the confined command starts).
pub fn bind(port: u16) -> io::Result<TcpListener> {
    TcpListener::bind(("127.0.0.1", port))
}

/// Serve forever on `listener`, forwarding every connection to `socket`.
pub fn serve(listener: TcpListener, socket: PathBuf) {
    for conn in listener.incoming() {
        let Ok(conn) = conn else { continue };
        let socket = socket.clone();
        let _ = std::thread::Builder::new()
            .name("paddock-bridge".into())
            .spawn(move || {
                let _ = carry(conn, &socket);
            });
    }
}

fn pump<R: Read, W: Write>(mut from: R, mut to: W) -> io::Result<u64> {
    let mut buf = vec![0u8; 64 * 1024];
    let mut total = 0;
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        to.write_all(&buf[..n])?;
        total += n as u64;
    }
}

fn carry(tcp: TcpStream, socket: &Path) -> io::Result<()> {
    let _ = tcp.set_nodelay(true);
    let unix = UnixStream::connect(socket)?;
    let (tcp_r, unix_w) = (tcp.try_clone()?, unix.try_clone()?);
    let up = std::thread::spawn(move || {
        let _ = pump(&tcp_r, &unix_w);
        let _ = unix_w.shutdown(Shutdown::Write);
    });
    let _ = pump(&unix, &tcp);
    let _ = tcp.shutdown(Shutdown::Write);
    let _ = up.join();
    Ok(())
}

//! The HTTP client the OTLP span exporter posts through: plain HTTP/1.1 over a blocking socket,
//! a few lines instead of hyper or reqwest in every service's build.
//!
//! The SDK's batch processor calls it from its own thread (blocking on the export), so a
//! blocking socket with timeouts never stalls a service's runtime. A collector is normally a
//! local agent (`http://127.0.0.1:4318`); TLS to a remote back end is the agent's job.

use std::future::Future;
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::pin::Pin;
use std::time::Duration;

use opentelemetry_http::{Bytes, HttpClient, HttpError, Request, Response};

/// How long one export may take to connect, send and read its answer.
const EXPORT_TIMEOUT: Duration = Duration::from_secs(5);

/// The most of a collector's answer kept (its status line is what matters).
const MAX_ANSWER_BYTES: u64 = 64 * 1024;

/// Posts OTLP requests to an `http://` collector.
#[derive(Debug, Default, Clone, Copy)]
pub struct PlainHttpClient;

impl HttpClient for PlainHttpClient {
    // Written out as `async_trait` expands it, so the crate need not depend on the macro.
    fn send_bytes<'client, 'future>(
        &'client self,
        request: Request<Bytes>,
    ) -> Pin<Box<dyn Future<Output = Result<Response<Bytes>, HttpError>> + Send + 'future>>
    where
        'client: 'future,
        Self: 'future,
    {
        Box::pin(async move { post(&request) })
    }
}

fn post(request: &Request<Bytes>) -> Result<Response<Bytes>, HttpError> {
    let uri = request.uri();
    if uri.scheme_str() != Some("http") {
        return Err(format!(
            "OTLP endpoint {uri}: only http:// is supported; export through a local collector"
        )
        .into());
    }
    let host = uri
        .host()
        .ok_or_else(|| format!("OTLP endpoint {uri} names no host"))?;
    let port = uri.port_u16().unwrap_or(80);
    let address = (host, port)
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| format!("OTLP endpoint {uri}: {host} does not resolve"))?;
    let mut stream = TcpStream::connect_timeout(&address, EXPORT_TIMEOUT)?;
    stream.set_read_timeout(Some(EXPORT_TIMEOUT))?;
    stream.set_write_timeout(Some(EXPORT_TIMEOUT))?;
    let path = uri.path_and_query().map_or("/", |path| path.as_str());
    let mut head = format!(
        "{} {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Length: {}\r\nConnection: close\r\n",
        request.method(),
        request.body().len()
    );
    for (name, value) in request.headers() {
        if let Ok(value) = value.to_str() {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    stream.write_all(request.body())?;
    let mut answer = Vec::new();
    stream.take(MAX_ANSWER_BYTES).read_to_end(&mut answer)?;
    let status = status_of(&answer)
        .ok_or_else(|| format!("OTLP endpoint {uri} answered something other than HTTP"))?;
    let body = answer
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .map_or_else(Bytes::new, |end| Bytes::copy_from_slice(&answer[end + 4..]));
    Ok(Response::builder().status(status).body(body)?)
}

/// The status code of an HTTP/1.x answer's first line.
fn status_of(answer: &[u8]) -> Option<u16> {
    let line = answer.split(|byte| *byte == b'\n').next()?;
    let line = std::str::from_utf8(line).ok()?;
    let mut parts = line.split_whitespace();
    parts
        .next()
        .filter(|version| version.starts_with("HTTP/1"))?;
    parts.next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_status_line_is_read() {
        assert_eq!(status_of(b"HTTP/1.1 200 OK\r\n\r\n"), Some(200));
        assert_eq!(status_of(b"HTTP/1.0 415 Unsupported\r\n"), Some(415));
        assert_eq!(status_of(b"SSH-2.0-OpenSSH\r\n"), None);
        assert_eq!(status_of(b""), None);
    }

    #[test]
    fn a_collector_receives_the_post_and_its_status_comes_back() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("binds");
        let port = listener.local_addr().expect("address").port();
        let collector = std::thread::spawn(move || {
            let (mut socket, _) = listener.accept().expect("accepts");
            let mut received = vec![0_u8; 4096];
            let mut length = 0;
            while !received[..length].ends_with(b"spans") {
                length += socket.read(&mut received[length..]).expect("reads");
            }
            socket
                .write_all(b"HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\nok")
                .expect("answers");
            String::from_utf8_lossy(&received[..length]).into_owned()
        });
        let request = Request::post(format!("http://127.0.0.1:{port}/v1/traces"))
            .header("content-type", "application/x-protobuf")
            .body(Bytes::from_static(b"spans"))
            .expect("request");
        let response = post(&request).expect("posts");
        assert_eq!(response.status().as_u16(), 202);
        assert_eq!(response.body().as_ref(), b"ok");
        let received = collector.join().expect("collector");
        assert!(
            received.starts_with("POST /v1/traces HTTP/1.1\r\n"),
            "{received}"
        );
        assert!(received.contains("content-type: application/x-protobuf\r\n"));
        assert!(received.contains("Content-Length: 5\r\n"));
    }

    #[test]
    fn https_is_refused_with_a_reason() {
        let request = Request::post("https://collector.example:4318/v1/traces")
            .body(Bytes::new())
            .expect("request");
        let error = post(&request).expect_err("refused").to_string();
        assert!(error.contains("only http://"), "{error}");
    }
}

//! HTTP plumbing: parsed requests, query parameters and response builders.

use std::collections::HashMap;
use std::convert::Infallible;

use bytes::Bytes;
use http_body_util::{combinators::BoxBody, BodyExt, Full, StreamBody};
use hyper::body::Frame;
use hyper::{Response, StatusCode};
use serde_json::Value;
use tokio_stream::wrappers::ReceiverStream;
use tokio_stream::StreamExt;

use crate::status::ApiError;

/// Response body type.
pub type Body = BoxBody<Bytes, Infallible>;

/// The parts of a request the API handlers use.
#[derive(Debug, Clone)]
pub struct Request {
    /// HTTP method.
    pub method: hyper::Method,
    /// Decoded path without the query.
    pub path: String,
    /// Query parameters (last value wins).
    pub query: HashMap<String, String>,
    /// `Accept` header.
    pub accept: String,
    /// `Content-Type` header.
    pub content_type: String,
    /// `User-Agent` header.
    pub user_agent: String,
    /// Request body.
    pub body: Bytes,
}

impl Request {
    /// A query parameter.
    pub fn q(&self, name: &str) -> Option<&str> {
        self.query.get(name).map(String::as_str)
    }

    /// Whether a boolean query parameter is set to true/1.
    pub fn flag(&self, name: &str) -> bool {
        matches!(self.q(name), Some("true") | Some("1") | Some(""))
    }

    /// Whether `dryRun=All` was requested.
    pub fn dry_run(&self) -> bool {
        self.q("dryRun").is_some_and(|v| v == "All")
    }

    /// Parses the body as JSON, or YAML when it is not JSON.
    pub fn body_value(&self) -> Result<Value, ApiError> {
        if self.body.is_empty() {
            return Err(ApiError::bad_request("the request body is empty"));
        }
        let ct = self.content_type.split(';').next().unwrap_or("").trim();
        if ct.contains("protobuf") {
            return crate::protobuf::decode(&self.body, ct);
        }
        if ct.contains("cbor") {
            return Err(ApiError::unsupported_media_type(ct));
        }
        match serde_json::from_slice(&self.body) {
            Ok(v) => Ok(v),
            Err(json_err) => {
                let text = std::str::from_utf8(&self.body)
                    .map_err(|_| ApiError::bad_request(format!("invalid body: {json_err}")))?;
                serde_norway::from_str::<Value>(text)
                    .map_err(|e| ApiError::bad_request(format!("error decoding YAML: {e}")))
            }
        }
    }
}

/// Parses a query string.
pub fn parse_query(q: Option<&str>) -> HashMap<String, String> {
    q.map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default()
}

fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into()).boxed()
}

/// A JSON response with a status code.
pub fn json(code: u16, v: &Value) -> Response<Body> {
    json_typed(code, v, "application/json")
}

/// A JSON response with an explicit Content-Type.
pub fn json_typed(code: u16, v: &Value, content_type: &str) -> Response<Body> {
    json_bytes_typed(
        code,
        serde_json::to_vec(v).unwrap_or_default(),
        content_type,
    )
}

/// A response of JSON already serialized.
pub fn json_bytes(code: u16, body: Vec<u8>) -> Response<Body> {
    json_bytes_typed(code, body, "application/json")
}

fn json_bytes_typed(code: u16, body: Vec<u8>, content_type: &str) -> Response<Body> {
    Response::builder()
        .status(StatusCode::from_u16(code).unwrap_or(StatusCode::OK))
        .header("content-type", content_type)
        .header("cache-control", "no-cache, private")
        .body(full(body))
        .unwrap_or_else(|_| Response::new(full(Bytes::new())))
}

/// A plain-text response (`/readyz`, `/livez`, `/healthz`).
pub fn text(code: u16, body: &str) -> Response<Body> {
    Response::builder()
        .status(StatusCode::from_u16(code).unwrap_or(StatusCode::OK))
        .header("content-type", "text/plain; charset=utf-8")
        .header("x-content-type-options", "nosniff")
        .body(full(body.to_string()))
        .unwrap_or_else(|_| Response::new(full(Bytes::new())))
}

/// A `Status` error response.
pub fn error(err: &ApiError) -> Response<Body> {
    let mut resp = json(err.code, &err.to_status());
    if let Some(r) = err.retry_after {
        if let Ok(v) = hyper::header::HeaderValue::from_str(&r.to_string()) {
            resp.headers_mut().insert("retry-after", v);
        }
    }
    resp
}

/// A streaming response fed by a channel of chunks (used by watches).
pub fn stream(rx: tokio::sync::mpsc::Receiver<Bytes>) -> Response<Body> {
    let frames = ReceiverStream::new(rx).map(|b| Ok::<_, Infallible>(Frame::data(b)));
    Response::builder()
        .status(StatusCode::OK)
        .header("content-type", "application/json")
        .header("transfer-encoding", "chunked")
        .body(StreamBody::new(frames).boxed())
        .unwrap_or_else(|_| Response::new(full(Bytes::new())))
}

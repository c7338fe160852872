//! The registry of open connections (TCP, TLS, WS, WSS): id -> a way to write to it. A
//! binding remembers the id of the connection its REGISTER came over (`Flow::connection`), so a
//! request for that contact goes back over the same connection (RFC 5626 §5, RFC 7118 §5):
//! a phone behind NAT or a browser is reachable no other way.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use pbx::Transport;
use tokio::sync::mpsc;

/// What a stream connection's writer task is asked to do.
#[derive(Debug)]
pub enum Outgoing {
    /// Bytes already framed (a whole SIP message, or a keepalive pong).
    Bytes(Vec<u8>),
    /// Flush what was queued, then close (after a framing error, for instance).
    Close,
}

/// How to reach one connection's writer.
#[derive(Debug, Clone)]
pub enum Writer {
    Stream(mpsc::Sender<Outgoing>),
    WebSocket(mpsc::Sender<portal::WsOutbound>),
}

#[derive(Debug, Clone)]
pub struct Connection {
    pub transport: Transport,
    pub remote: SocketAddr,
    pub local: SocketAddr,
    pub writer: Writer,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SendError {
    #[error("connection {0} is closed")]
    Gone(u64),
    #[error("connection {0} is not keeping up; message dropped")]
    Full(u64),
}

/// Ids are unique across restarts as well as within a process: bindings outlive the process
/// in the database, and a stale id must never name a new, unrelated connection. The high 31
/// bits are random per process (kept positive for databases that store i64), the low 32
/// count connections.
pub struct Connections {
    epoch: u64,
    next: AtomicU64,
    map: Mutex<HashMap<u64, Connection>>,
}

impl Default for Connections {
    fn default() -> Self {
        Connections::new()
    }
}

impl Connections {
    pub fn new() -> Connections {
        let epoch = u64::from(rand::random::<u32>() >> 1) << 32;
        Connections {
            epoch,
            next: AtomicU64::new(1),
            map: Mutex::new(HashMap::new()),
        }
    }

    /// Registers a new connection and returns its id.
    pub fn add(&self, connection: Connection) -> u64 {
        let id = self.epoch | (self.next.fetch_add(1, Ordering::Relaxed) & 0xffff_ffff);
        if let Ok(mut map) = self.map.lock() {
            map.insert(id, connection);
        }
        id
    }

    pub fn remove(&self, id: u64) {
        if let Ok(mut map) = self.map.lock() {
            map.remove(&id);
        }
    }

    pub fn get(&self, id: u64) -> Option<Connection> {
        self.map.lock().ok().and_then(|map| map.get(&id).cloned())
    }

    pub fn len(&self) -> usize {
        self.map.lock().map(|m| m.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Queues one framed message on a connection without waiting: a peer that stopped
    /// reading must not stall whoever is sending (the registrar, the qualify loop).
    pub fn send(&self, id: u64, bytes: Vec<u8>) -> Result<(), SendError> {
        let conn = self.get(id).ok_or(SendError::Gone(id))?;
        let result = match &conn.writer {
            Writer::Stream(tx) => tx.try_send(Outgoing::Bytes(bytes)).map_err(|e| is_full(&e)),
            Writer::WebSocket(tx) => tx
                .try_send(portal::WsOutbound::Frame(bytes))
                .map_err(|e| is_full(&e)),
        };
        match result {
            Ok(()) => Ok(()),
            Err(true) => Err(SendError::Full(id)),
            Err(false) => {
                self.remove(id);
                Err(SendError::Gone(id))
            }
        }
    }

    /// Asks a connection to close after what is already queued.
    pub fn close(&self, id: u64) {
        if let Some(conn) = self.get(id) {
            match &conn.writer {
                Writer::Stream(tx) => {
                    let _ = tx.try_send(Outgoing::Close);
                }
                Writer::WebSocket(tx) => {
                    let _ = tx.try_send(portal::WsOutbound::Close);
                }
            }
        }
    }
}

fn is_full<T>(e: &mpsc::error::TrySendError<T>) -> bool {
    matches!(e, mpsc::error::TrySendError::Full(_))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn(tx: mpsc::Sender<Outgoing>) -> Connection {
        let addr: SocketAddr = ([127, 0, 0, 1], 5060).into();
        Connection {
            transport: Transport::Tcp,
            remote: addr,
            local: addr,
            writer: Writer::Stream(tx),
        }
    }

    #[test]
    fn ids_are_distinct_and_sends_reach_the_writer() {
        let reg = Connections::new();
        let (tx1, mut rx1) = mpsc::channel(1);
        let (tx2, _rx2) = mpsc::channel(1);
        let a = reg.add(conn(tx1));
        let b = reg.add(conn(tx2));
        assert_ne!(a, b);
        assert!(i64::try_from(a).is_ok(), "ids fit a signed 64-bit column");
        assert_eq!(reg.send(a, b"x".to_vec()), Ok(()));
        assert!(matches!(rx1.try_recv(), Ok(Outgoing::Bytes(v)) if v == b"x"));
        assert_eq!(reg.send(b, b"1".to_vec()), Ok(()));
        assert_eq!(reg.send(b, b"2".to_vec()), Err(SendError::Full(b)));
    }

    #[test]
    fn closed_connections_are_forgotten() {
        let reg = Connections::new();
        let (tx, rx) = mpsc::channel(1);
        let id = reg.add(conn(tx));
        drop(rx);
        assert_eq!(reg.send(id, b"x".to_vec()), Err(SendError::Gone(id)));
        assert!(reg.get(id).is_none());
        assert_eq!(reg.send(12345, Vec::new()), Err(SendError::Gone(12345)));
    }
}

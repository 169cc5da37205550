//! The object store: objects by resource and name, one global resourceVersion, the watch
//! event history and persistence to a state file.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::Path;
use std::sync::Arc;

use serde_json::{json, Value};
use tokio::sync::broadcast;

use crate::resources::{Registry, ResKey};

/// Kind of a watch event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    /// Object created.
    Added,
    /// Object changed.
    Modified,
    /// Object removed.
    Deleted,
}

impl EventType {
    /// The wire name (`ADDED`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Added => "ADDED",
            EventType::Modified => "MODIFIED",
            EventType::Deleted => "DELETED",
        }
    }
}

/// One change, as delivered to watchers.
#[derive(Debug, Clone)]
pub struct WatchEvent {
    /// Resource of the object.
    pub key: ResKey,
    /// Namespace of the object ("" when cluster-scoped).
    pub namespace: String,
    /// Event kind.
    pub kind: EventType,
    /// The object after the change (before removal for deletes).
    pub object: Value,
    /// resourceVersion of the change.
    pub rv: u64,
    /// The object before a modification, for watches whose selection it may leave or enter.
    pub prev: Option<Value>,
}

/// Namespace and name of an object.
pub type ObjKey = (String, String);

const HISTORY: usize = 50_000;

/// Everything the server stores, guarded by one lock.
pub struct State {
    /// Served types (built-ins plus established CRDs).
    pub registry: Registry,
    /// The last resourceVersion handed out.
    pub rv: u64,
    objects: HashMap<ResKey, BTreeMap<ObjKey, Value>>,
    history: VecDeque<Arc<WatchEvent>>,
    tx: broadcast::Sender<Arc<WatchEvent>>,
    /// Whether there are unsaved changes.
    pub dirty: bool,
    /// Whether the garbage collector has something to look at: an object was removed, or one
    /// with owners or being deleted was written, since it last looked.
    pub gc_dirty: bool,
}

impl Default for State {
    fn default() -> Self {
        Self::new()
    }
}

impl State {
    /// An empty store serving the built-in kinds.
    pub fn new() -> Self {
        let (tx, _) = broadcast::channel(16_384);
        State {
            registry: Registry::new(),
            rv: 0,
            objects: HashMap::new(),
            history: VecDeque::new(),
            tx,
            dirty: false,
            gc_dirty: true,
        }
    }

    /// Subscribes to future events.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<WatchEvent>> {
        self.tx.subscribe()
    }

    /// Events after `rv` still held in the history, or `None` when some were already dropped.
    pub fn events_since(&self, rv: u64) -> Option<Vec<Arc<WatchEvent>>> {
        if rv >= self.rv {
            return Some(vec![]);
        }
        match self.history.front() {
            Some(first) if first.rv <= rv + 1 => {
                Some(self.history.iter().filter(|e| e.rv > rv).cloned().collect())
            }
            _ => None,
        }
    }

    /// One object.
    pub fn get(&self, key: &ResKey, ns: &str, name: &str) -> Option<&Value> {
        self.objects
            .get(key)?
            .get(&(ns.to_string(), name.to_string()))
    }

    /// Objects of a resource, sorted by namespace and name, optionally in one namespace.
    pub fn list<'a>(
        &'a self,
        key: &ResKey,
        ns: Option<&'a str>,
    ) -> Box<dyn Iterator<Item = &'a Value> + 'a> {
        let Some(map) = self.objects.get(key) else {
            return Box::new(std::iter::empty());
        };
        match ns {
            Some(ns) => Box::new(
                map.range((ns.to_string(), String::new())..)
                    .take_while(move |((n, _), _)| n == ns)
                    .map(|(_, v)| v),
            ),
            None => Box::new(map.values()),
        }
    }

    /// All resource keys that hold objects.
    pub fn keys(&self) -> Vec<ResKey> {
        let mut k: Vec<ResKey> = self
            .objects
            .iter()
            .filter(|(_, m)| !m.is_empty())
            .map(|(k, _)| k.clone())
            .collect();
        k.sort();
        k
    }

    /// Stores an object under a fresh resourceVersion and notifies watchers.
    pub fn put(&mut self, key: &ResKey, mut obj: Value, kind: EventType) -> Value {
        if let Some(m) = obj.get("metadata") {
            if m.get("ownerReferences").is_some() || m.get("deletionTimestamp").is_some() {
                self.gc_dirty = true;
            }
        }
        self.rv += 1;
        let rv = self.rv;
        crate::meta::meta_mut(&mut obj).insert("resourceVersion".into(), json!(rv.to_string()));
        let ns = crate::meta::namespace(&obj).to_string();
        let name = crate::meta::name(&obj).to_string();
        let prev = self
            .objects
            .entry(key.clone())
            .or_default()
            .insert((ns.clone(), name), obj.clone());
        self.emit(WatchEvent {
            key: key.clone(),
            namespace: ns,
            kind,
            object: obj.clone(),
            rv,
            prev: prev.filter(|_| kind == EventType::Modified),
        });
        obj
    }

    /// Removes an object, notifying watchers; returns it.
    pub fn remove(&mut self, key: &ResKey, ns: &str, name: &str) -> Option<Value> {
        let mut obj = self
            .objects
            .get_mut(key)?
            .remove(&(ns.to_string(), name.to_string()))?;
        self.gc_dirty = true;
        self.rv += 1;
        let rv = self.rv;
        crate::meta::meta_mut(&mut obj).insert("resourceVersion".into(), json!(rv.to_string()));
        self.emit(WatchEvent {
            key: key.clone(),
            namespace: ns.into(),
            kind: EventType::Deleted,
            object: obj.clone(),
            rv,
            prev: None,
        });
        Some(obj)
    }

    fn emit(&mut self, ev: WatchEvent) {
        let ev = Arc::new(ev);
        self.history.push_back(ev.clone());
        while self.history.len() > HISTORY {
            self.history.pop_front();
        }
        let _ = self.tx.send(ev);
        self.dirty = true;
    }

    /// Serializes all objects for the state file.
    pub fn snapshot(&self) -> Value {
        let mut objects = vec![];
        for (key, map) in &self.objects {
            for obj in map.values() {
                objects.push(json!({ "group": key.group, "plural": key.plural, "object": obj }));
            }
        }
        json!({ "resourceVersion": self.rv, "objects": objects })
    }

    /// Writes the state file atomically.
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, serde_json::to_vec(&self.snapshot())?)?;
        std::fs::rename(tmp, path)
    }

    /// Loads objects from a state file written by [`State::save`]; CRDs are re-registered.
    pub fn load(&mut self, path: &Path) -> anyhow::Result<()> {
        let data: Value = serde_json::from_slice(&std::fs::read(path)?)?;
        self.rv = data["resourceVersion"].as_u64().unwrap_or(0);
        for entry in data["objects"].as_array().cloned().unwrap_or_default() {
            let key = ResKey::new(
                entry["group"].as_str().unwrap_or_default(),
                entry["plural"].as_str().unwrap_or_default(),
            );
            let obj = entry["object"].clone();
            let ns = crate::meta::namespace(&obj).to_string();
            let name = crate::meta::name(&obj).to_string();
            if key == ResKey::new("apiextensions.k8s.io", "customresourcedefinitions") {
                if let Ok(types) = crate::crd::types_of(&obj) {
                    self.registry.set_crd(&name, types);
                }
            }
            self.objects.entry(key).or_default().insert((ns, name), obj);
        }
        Ok(())
    }
}

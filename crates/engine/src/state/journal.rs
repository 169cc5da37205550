//! The journal of a run: batches of records appended durably while changes
//! run, replayed on load after a crash, and folded into a snapshot at the end.
//!
//! Each batch is one line, `<checksum> <json>\n`, where the checksum is the
//! first 16 hex digits of the SHA-256 of the JSON. A torn or garbled last line
//! (the process died while writing it, so it was never acknowledged) is
//! ignored; a bad line followed by good ones is corruption and is reported.

use super::{OutputState, ResourceState, State, StateError};
use crate::Address;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use uuid::Uuid;

/// One change to state, as the walker records it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "record", rename_all = "snake_case")]
pub enum Record {
    /// A change is about to run: the resource as recorded before it runs
    /// (status `pending`).
    Intent {
        /// The resource.
        address: Address,
        /// Its entry while the change runs.
        resource: ResourceState,
    },
    /// A change finished (or failed): the resource's entry now.
    Result {
        /// The resource.
        address: Address,
        /// Its new entry.
        resource: ResourceState,
    },
    /// The resource was deleted and leaves state.
    Removal {
        /// The resource.
        address: Address,
    },
    /// The stack's outputs, replacing the recorded ones.
    Outputs {
        /// Every output by name.
        outputs: BTreeMap<String, OutputState>,
    },
}

impl Record {
    /// Applies the record to `state`.
    pub fn apply_to(&self, state: &mut State) {
        match self {
            Record::Intent { address, resource } | Record::Result { address, resource } => {
                state.resources.insert(address.clone(), resource.clone());
            }
            Record::Removal { address } => {
                state.resources.remove(address);
            }
            Record::Outputs { outputs } => state.outputs = outputs.clone(),
        }
    }
}

/// One durable write of a run: the records that became durable together, and
/// the state serial they brought the state to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Batch {
    /// The lineage of the state the run started from.
    pub lineage: Uuid,
    /// The serial after this batch.
    pub serial: u64,
    /// The records, in order.
    pub records: Vec<Record>,
}

/// Serializes records as a batch line (checksum, JSON, newline) without
/// cloning them.
pub fn encode_line(lineage: Uuid, serial: u64, records: &[Record]) -> Vec<u8> {
    #[derive(Serialize)]
    struct BatchRef<'a> {
        lineage: Uuid,
        serial: u64,
        records: &'a [Record],
    }
    let json = serde_json::to_vec(&BatchRef {
        lineage,
        serial,
        records,
    })
    .expect("records serialize");
    let mut line = Vec::with_capacity(json.len() + 18);
    line.extend_from_slice(checksum(&json).as_bytes());
    line.push(b' ');
    line.extend_from_slice(&json);
    line.push(b'\n');
    line
}

fn checksum(json: &[u8]) -> String {
    hex::encode(&Sha256::digest(json)[..8])
}

/// Decodes one batch line (without its newline); `None` when torn or garbled.
pub fn decode_line(line: &[u8]) -> Option<Batch> {
    let (sum, json) = (line.get(..16)?, line.get(17..)?);
    if line.get(16) != Some(&b' ') || sum != checksum(json).as_bytes() {
        return None;
    }
    serde_json::from_slice(json).ok()
}

/// Decodes a whole journal. A bad last line is dropped (an unacknowledged
/// batch the process died writing); a bad line before good ones is an error.
pub fn decode(bytes: &[u8], location: &str) -> Result<Vec<Batch>, StateError> {
    let mut batches = Vec::new();
    let mut bad_line = None;
    for (n, line) in bytes.split(|&b| b == b'\n').enumerate() {
        if line.is_empty() {
            continue;
        }
        match decode_line(line) {
            Some(b) if bad_line.is_none() => batches.push(b),
            Some(_) => {
                return Err(StateError::Corrupt {
                    location: location.to_string(),
                    message: format!(
                        "journal line {} is damaged but later lines are intact",
                        bad_line.unwrap_or(0) + 1
                    ),
                })
            }
            None => bad_line = bad_line.or(Some(n)),
        }
    }
    Ok(batches)
}

/// Replays batches over `state`: batches of another lineage or at or below
/// its serial were already folded into the snapshot (or superseded by a later
/// whole-state write) and are skipped; the rest must follow on serial by
/// serial.
pub fn replay(state: &mut State, batches: &[Batch], location: &str) -> Result<(), StateError> {
    for b in batches {
        if b.lineage != state.lineage || b.serial <= state.serial {
            continue;
        }
        if b.serial != state.serial + 1 {
            return Err(StateError::Corrupt {
                location: location.to_string(),
                message: format!(
                    "the journal jumps from serial {} to {}",
                    state.serial, b.serial
                ),
            });
        }
        for r in &b.records {
            r.apply_to(state);
        }
        state.serial = b.serial;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::ResourceStatus;
    use crate::ResourceType;
    use serde_json::json;

    fn entry(v: i64) -> ResourceState {
        ResourceState {
            rtype: ResourceType::K8sObject,
            attributes: json!({ "v": v }),
            sensitive: BTreeMap::new(),
            dependencies: vec![],
            status: ResourceStatus::Ready,
            protect: false,
        }
    }

    #[test]
    fn replay_applies_batches_in_order_and_skips_folded_ones() {
        let mut s = State::new();
        s.serial = 4;
        let a = Address::new("a");
        let lines = [
            encode_line(s.lineage, 4, &[Record::Removal { address: a.clone() }]),
            encode_line(
                s.lineage,
                5,
                &[Record::Intent {
                    address: a.clone(),
                    resource: entry(1),
                }],
            ),
            encode_line(
                s.lineage,
                6,
                &[Record::Result {
                    address: a.clone(),
                    resource: entry(2),
                }],
            ),
            encode_line(Uuid::new_v4(), 7, &[Record::Removal { address: a.clone() }]),
        ]
        .concat();
        let batches = decode(&lines, "j").unwrap();
        assert_eq!(batches.len(), 4);
        replay(&mut s, &batches, "j").unwrap();
        assert_eq!(s.serial, 6);
        assert_eq!(s.resources[&a], entry(2));
    }

    #[test]
    fn a_torn_last_line_is_ignored_but_a_damaged_middle_is_reported() {
        let l = Uuid::new_v4();
        let one = encode_line(
            l,
            1,
            &[Record::Removal {
                address: Address::new("x"),
            }],
        );
        let two = encode_line(
            l,
            2,
            &[Record::Removal {
                address: Address::new("y"),
            }],
        );
        for cut in 0..two.len() - 1 {
            let bytes = [&one[..], &two[..cut]].concat();
            let got = decode(&bytes, "j").unwrap();
            assert_eq!(got.len(), 1, "cut at {cut}");
        }
        let mut damaged = one.clone();
        damaged[20] ^= 1;
        let e = decode(&[&damaged[..], &two[..]].concat(), "j").unwrap_err();
        assert!(e.to_string().contains("journal line 1 is damaged"), "{e}");
    }

    #[test]
    fn a_gap_in_serials_is_corruption() {
        let mut s = State::new();
        let b = decode(&encode_line(s.lineage, 3, &[]), "j").unwrap();
        let e = replay(&mut s, &b, "j").unwrap_err();
        assert!(e.to_string().contains("jumps from serial 0 to 3"), "{e}");
    }
}

//! The deployment controller, after the real one (`pkg/controller/deployment`): each
//! Deployment owns one ReplicaSet per pod template (named `<deployment>-<pod-template-hash>`),
//! rolls pods from the old sets to the new one by its strategy, scales them proportionally,
//! prunes sets beyond `revisionHistoryLimit`, re-uses the matching old set when the template
//! goes back to it (`kubectl rollout undo`), adopts orphaned sets its selector matches, and
//! derives its status and conditions from the sets' status.

use serde_json::{json, Value};

use super::deploy_status::{calculate_status, complete, progressing, sum, timed_out};
use super::deploy_util::{self as u, deployments, int, replicasets, spec_replicas, MANAGER};
use crate::meta;
use crate::store::State;

/// One round over all Deployments; returns whether anything was written.
pub fn pass(st: &mut State) -> bool {
    let key = deployments();
    if st.list(&key, None).next().is_none() {
        return false;
    }
    let before = st.rv;
    let all: Vec<(String, String)> = st
        .list(&key, None)
        .filter(|d| !meta::is_deleting(d))
        .map(|d| (meta::namespace(d).to_string(), meta::name(d).to_string()))
        .collect();
    let now = meta::now();
    for (ns, name) in all {
        if let Some(d) = st.get(&key, &ns, &name).cloned() {
            Sync { st, now: &now }.deployment(d);
        }
    }
    st.rv != before
}

/// The new ReplicaSet (whose template is the Deployment's) and the old ones.
#[derive(Default)]
struct Sets {
    new: Option<Value>,
    old: Vec<Value>,
}

impl Sets {
    fn all(&self) -> Vec<&Value> {
        self.old.iter().chain(self.new.as_ref()).collect()
    }

    fn replace(&mut self, rs: Value) {
        let name = meta::name(&rs).to_string();
        if self.new.as_ref().is_some_and(|n| meta::name(n) == name) {
            self.new = Some(rs);
        } else if let Some(o) = self.old.iter_mut().find(|o| meta::name(o) == name) {
            *o = rs;
        }
    }
}

fn active(rs: &&Value) -> bool {
    spec_replicas(rs) > 0
}

struct Sync<'a> {
    st: &'a mut State,
    now: &'a str,
}

impl Sync<'_> {
    /// `syncDeployment`.
    fn deployment(&mut self, mut d: Value) {
        u::adopt_orphans(self.st, &replicasets(), &d, "Deployment");
        if self.paused_conditions(&mut d).is_none() {
            return;
        }
        if d.pointer("/spec/paused") == Some(&Value::Bool(true)) {
            return self.sync(d);
        }
        let Some(scaling) = self.is_scaling_event(&mut d) else {
            return;
        };
        if scaling {
            return self.sync(d);
        }
        if u::is_rolling(&d) {
            self.rolling(d)
        } else {
            self.recreate(d)
        }
    }

    /// The ReplicaSets the Deployment controls.
    fn owned(&self, d: &Value) -> Vec<Value> {
        let uid = meta::uid(d);
        let mut rss: Vec<Value> = self
            .st
            .list(&replicasets(), Some(meta::namespace(d)))
            .filter(|rs| u::controller_uid(rs) == Some(uid))
            .cloned()
            .collect();
        rss.sort_by(u::by_creation);
        rss
    }

    /// Writes the Deployment's status (and its revision annotation, which a status update
    /// may carry) and refreshes `d`.
    fn write_status(&mut self, d: &mut Value) -> Option<()> {
        let stored = u::update_as(self.st, &deployments(), d.clone(), MANAGER, "status").ok()?;
        *d = stored;
        Some(())
    }

    fn update_rs(&mut self, rs: Value) -> Option<Value> {
        u::update_as(self.st, &replicasets(), rs, MANAGER, "").ok()
    }

    /// `checkPausedConditions`.
    fn paused_conditions(&mut self, d: &mut Value) -> Option<()> {
        if !u::has_progress_deadline(d) {
            return Some(());
        }
        let status = d.get("status").cloned().unwrap_or(json!({}));
        let cond = u::get_condition(&status, "Progressing");
        if cond.is_some_and(|c| c["reason"] == "ProgressDeadlineExceeded") {
            return Some(());
        }
        let paused_cond = cond.is_some_and(|c| c["reason"] == "DeploymentPaused");
        let paused = d.pointer("/spec/paused") == Some(&Value::Bool(true));
        let (reason, message) = match (paused, paused_cond) {
            (true, false) => ("DeploymentPaused", "Deployment is paused"),
            (false, true) => ("DeploymentResumed", "Deployment is resumed"),
            _ => return Some(()),
        };
        let mut status = status;
        u::set_condition(
            &mut status,
            u::condition("Progressing", "Unknown", reason, message, self.now),
        );
        d["status"] = status;
        self.write_status(d)
    }

    /// `getAllReplicaSetsAndSyncRevision`: finds the new set (creating it when asked), brings
    /// its revision above the old ones' and copies that revision to the Deployment.
    fn sets(&mut self, d: &mut Value, create: bool) -> Option<Sets> {
        let mut old = self.owned(d);
        let template = d.pointer("/spec/template").cloned();
        let found = old
            .iter()
            .position(|rs| u::equal_ignore_hash(rs.pointer("/spec/template"), template.as_ref()));
        let existing = found.map(|i| old.remove(i));
        let new_revision = old.iter().filter_map(u::revision).max().unwrap_or(0) + 1;
        let new = match existing {
            Some(rs) => Some(self.sync_new(d, rs, new_revision)?),
            None if create => Some(self.create_new(d, &old, new_revision)?),
            None => None,
        };
        Some(Sets { new, old })
    }

    /// The existing-new-set half of `getNewReplicaSet`.
    fn sync_new(&mut self, d: &mut Value, rs: Value, new_revision: i64) -> Option<Value> {
        let mut copy = rs.clone();
        let annotations = u::set_new_rs_annotations(d, &mut copy, new_revision, true);
        let min_ready = int(d, "/spec/minReadySeconds");
        if annotations || int(&copy, "/spec/minReadySeconds") != min_ready {
            set_min_ready(&mut copy, min_ready);
            return self.update_rs(copy);
        }
        let rev = u::annotation(&copy, u::REVISION).unwrap_or("").to_string();
        let mut needs = u::set_annotation(d, u::REVISION, &rev);
        let mut status = d.get("status").cloned().unwrap_or(json!({}));
        if u::has_progress_deadline(d) && u::get_condition(&status, "Progressing").is_none() {
            let msg = format!("Found new replica set {:?}", meta::name(&copy));
            u::set_condition(
                &mut status,
                u::condition("Progressing", "True", "FoundNewReplicaSet", &msg, self.now),
            );
            d["status"] = status;
            needs = true;
        }
        if needs {
            self.write_status(d)?;
        }
        Some(copy)
    }

    /// The create half of `getNewReplicaSet`.
    fn create_new(&mut self, d: &mut Value, old: &[Value], new_revision: i64) -> Option<Value> {
        let ns = meta::namespace(d).to_string();
        let collisions = d.pointer("/status/collisionCount").and_then(Value::as_i64);
        let mut template = d.pointer("/spec/template").cloned().unwrap_or(json!({}));
        let hash = u::template_hash(&template, collisions);
        let tmeta = meta::meta_mut(&mut template);
        let labels = tmeta.entry("labels").or_insert_with(|| json!({}));
        labels[u::HASH_LABEL] = json!(hash);
        let labels = labels.clone();
        let mut selector = d.pointer("/spec/selector").cloned().unwrap_or(json!({}));
        if selector.get("matchLabels").is_none() {
            selector["matchLabels"] = json!({});
        }
        selector["matchLabels"][u::HASH_LABEL] = json!(hash);
        let name = format!("{}-{hash}", meta::name(d));
        let mut rs = json!({
            "apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {
                "name": name, "namespace": ns, "labels": labels,
                "ownerReferences": [u::controller_ref(d, "Deployment")],
            },
            "spec": { "replicas": 0, "selector": selector, "template": template },
        });
        set_min_ready(&mut rs, int(d, "/spec/minReadySeconds"));
        let mut all: Vec<&Value> = old.iter().collect();
        all.push(&rs);
        let replicas = new_rs_replicas(d, &all, &rs);
        rs["spec"]["replicas"] = json!(replicas);
        u::set_new_rs_annotations(d, &mut rs, new_revision, false);

        let mut already = false;
        let created = match self.st.get(&replicasets(), &ns, &name).cloned() {
            Some(existing) => {
                let ours = u::controller_uid(&existing) == Some(meta::uid(d))
                    && u::equal_ignore_hash(
                        existing.pointer("/spec/template"),
                        d.pointer("/spec/template"),
                    );
                if !ours {
                    // A hash collision: the next try hashes with a higher count.
                    let mut status = d.get("status").cloned().unwrap_or(json!({}));
                    status["collisionCount"] = json!(collisions.unwrap_or(0) + 1);
                    d["status"] = status;
                    self.write_status(d);
                    return None;
                }
                already = true;
                existing
            }
            None => match u::create_as(self.st, &replicasets(), &ns, rs, MANAGER) {
                Ok(created) => created,
                Err(e) => {
                    if e.reason != "Forbidden" && u::has_progress_deadline(d) {
                        let msg =
                            format!("Failed to create new replica set {name:?}: {}", e.message);
                        let mut status = d.get("status").cloned().unwrap_or(json!({}));
                        u::set_condition(
                            &mut status,
                            u::condition(
                                "Progressing",
                                "False",
                                "ReplicaSetCreateError",
                                &msg,
                                self.now,
                            ),
                        );
                        d["status"] = status;
                        self.write_status(d);
                    }
                    return None;
                }
            },
        };
        let mut needs = u::set_annotation(d, u::REVISION, &new_revision.to_string());
        if !already && u::has_progress_deadline(d) {
            let msg = format!("Created new replica set {name:?}");
            let mut status = d.get("status").cloned().unwrap_or(json!({}));
            u::set_condition(
                &mut status,
                u::condition(
                    "Progressing",
                    "True",
                    "NewReplicaSetCreated",
                    &msg,
                    self.now,
                ),
            );
            d["status"] = status;
            needs = true;
        }
        if needs {
            self.write_status(d)?;
        }
        Some(created)
    }

    /// `isScalingEvent`: an active set was sized for another `spec.replicas`.
    fn is_scaling_event(&mut self, d: &mut Value) -> Option<bool> {
        let sets = self.sets(d, false)?;
        let want = spec_replicas(d).to_string();
        Some(
            sets.all()
                .into_iter()
                .filter(active)
                .filter_map(|rs| u::annotation(rs, u::DESIRED_REPLICAS))
                .any(|desired| desired != want),
        )
    }

    /// `sync`: scaling, for scaling events and paused Deployments.
    fn sync(&mut self, mut d: Value) {
        let Some(mut sets) = self.sets(&mut d, false) else {
            return;
        };
        if self.scale(&d, &mut sets).is_none() {
            return;
        }
        if d.pointer("/spec/paused") == Some(&Value::Bool(true)) {
            self.cleanup(&d, &sets);
        }
        let status = calculate_status(&d, &sets.all(), sets.new.as_ref(), self.now);
        if d.get("status") != Some(&status) {
            d["status"] = status;
            self.write_status(&mut d);
        }
    }

    /// `scaleReplicaSet` and its event: sizes a set and records the Deployment's counts on it.
    /// Returns whether the size changed.
    fn scale_rs(&mut self, d: &Value, sets: &mut Sets, rs: &Value, to: i64) -> Option<bool> {
        let resize = spec_replicas(rs) != to;
        let mut copy = rs.clone();
        let r = spec_replicas(d);
        let annotations = u::set_replicas_annotations(&mut copy, r, r + u::max_surge(d));
        if !resize && !annotations {
            return Some(false);
        }
        copy["spec"]["replicas"] = json!(to);
        let stored = self.update_rs(copy)?;
        sets.replace(stored);
        Some(resize)
    }

    /// `scale`: the only active set follows `spec.replicas`; several share the change in
    /// proportion to their size.
    fn scale(&mut self, d: &Value, sets: &mut Sets) -> Option<()> {
        let want = spec_replicas(d);
        let active_sets: Vec<Value> = sets.all().into_iter().filter(active).cloned().collect();
        let target = match active_sets.len() {
            0 => sets.new.clone().or_else(|| newest(&sets.old)),
            1 => Some(active_sets[0].clone()),
            _ => None,
        };
        if let Some(rs) = target {
            if spec_replicas(&rs) != want {
                self.scale_rs(d, sets, &rs, want)?;
            }
            return Some(());
        }
        if let Some(new) = sets.new.clone().filter(|n| saturated(d, n)) {
            for old in sets.old.clone().iter().filter(active) {
                if meta::name(old) != meta::name(&new) {
                    self.scale_rs(d, sets, old, 0)?;
                }
            }
            return Some(());
        }
        if !u::is_rolling(d) {
            return Some(());
        }
        let mut list = active_sets;
        let total: i64 = list.iter().map(spec_replicas).sum();
        let allowed = if want > 0 { want + u::max_surge(d) } else { 0 };
        let to_add = allowed - total;
        // Larger sets first; among equals, newer ones grow first and older ones shrink first.
        list.sort_by(|a, b| {
            let size = spec_replicas(b).cmp(&spec_replicas(a));
            let age = u::by_creation(a, b);
            size.then(if to_add > 0 { age.reverse() } else { age })
        });
        let mut added = 0;
        let mut sizes: Vec<i64> = vec![];
        for rs in &list {
            let p = if to_add != 0 {
                proportion(rs, d, to_add, added)
            } else {
                0
            };
            sizes.push(spec_replicas(rs) + p);
            added += p;
        }
        for (i, rs) in list.iter().enumerate() {
            let mut size = sizes[i];
            if i == 0 && to_add != 0 {
                size = (size + to_add - added).max(0);
            }
            self.scale_rs(d, sets, rs, size)?;
        }
        Some(())
    }

    /// `rolloutRolling`.
    fn rolling(&mut self, mut d: Value) {
        let Some(mut sets) = self.sets(&mut d, true) else {
            return;
        };
        if sets.new.is_none() {
            return;
        }
        let Some(up) = self.reconcile_new(&d, &mut sets) else {
            return;
        };
        if !up {
            let Some(down) = self.reconcile_old(&d, &mut sets) else {
                return;
            };
            if !down && complete(&d, d.get("status").unwrap_or(&Value::Null)) {
                self.cleanup(&d, &sets);
            }
        }
        self.rollout_status(d, &sets);
    }

    /// `reconcileNewReplicaSet`.
    fn reconcile_new(&mut self, d: &Value, sets: &mut Sets) -> Option<bool> {
        let new = sets.new.clone()?;
        let want = spec_replicas(d);
        let have = spec_replicas(&new);
        if have == want {
            return Some(false);
        }
        let to = if have > want {
            want
        } else {
            new_rs_replicas(d, &sets.all(), &new)
        };
        self.scale_rs(d, sets, &new, to)
    }

    /// `reconcileOldReplicaSets`: unhealthy old pods go first, then healthy ones as far as
    /// maxUnavailable allows.
    fn reconcile_old(&mut self, d: &Value, sets: &mut Sets) -> Option<bool> {
        let old_count: i64 = sets.old.iter().map(spec_replicas).sum();
        if old_count == 0 {
            return Some(false);
        }
        let new = sets.new.clone()?;
        let all_count: i64 = sets.all().into_iter().map(spec_replicas).sum();
        let min_available = spec_replicas(d) - u::max_unavailable(d);
        let new_unavailable = spec_replicas(&new) - int(&new, "/status/availableReplicas");
        let max_scaled_down = all_count - min_available - new_unavailable;
        if max_scaled_down <= 0 {
            return Some(false);
        }
        let mut total = 0;
        let mut old = sets.old.clone();
        old.sort_by(u::by_creation);
        for rs in old.iter().filter(|rs| spec_replicas(rs) > 0) {
            if total >= max_scaled_down {
                break;
            }
            let unhealthy = spec_replicas(rs) - int(rs, "/status/availableReplicas");
            if unhealthy <= 0 {
                continue;
            }
            let down = (max_scaled_down - total).min(unhealthy);
            self.scale_rs(d, sets, rs, spec_replicas(rs) - down)?;
            total += down;
        }
        // scaleDownOldReplicaSetsForRollingUpdate, with the sizes after the clean-up.
        let available = sum(&sets.all(), "/status/availableReplicas");
        if available > min_available {
            let limit = available - min_available;
            let mut scaled = 0;
            let mut old = sets.old.clone();
            old.sort_by(u::by_creation);
            for rs in old.iter().filter(|rs| spec_replicas(rs) > 0) {
                if scaled >= limit {
                    break;
                }
                let down = spec_replicas(rs).min(limit - scaled);
                self.scale_rs(d, sets, rs, spec_replicas(rs) - down)?;
                scaled += down;
            }
            total += scaled;
        }
        Some(total > 0)
    }

    /// `rolloutRecreate`: all old pods go before the new set is scaled up.
    fn recreate(&mut self, mut d: Value) {
        let Some(mut sets) = self.sets(&mut d, false) else {
            return;
        };
        let mut scaled = false;
        for rs in sets.old.clone().iter().filter(active) {
            match self.scale_rs(&d, &mut sets, rs, 0) {
                Some(s) => scaled |= s,
                None => return,
            }
        }
        if scaled || self.old_pods_running(&sets) {
            return self.rollout_status(d, &sets);
        }
        if sets.new.is_none() {
            let Some(s) = self.sets(&mut d, true) else {
                return;
            };
            sets = s;
        }
        let Some(new) = sets.new.clone() else {
            return;
        };
        if self
            .scale_rs(&d, &mut sets, &new, spec_replicas(&d))
            .is_none()
        {
            return;
        }
        if complete(&d, d.get("status").unwrap_or(&Value::Null)) {
            self.cleanup(&d, &sets);
        }
        self.rollout_status(d, &sets);
    }

    /// `oldPodsRunning`.
    fn old_pods_running(&self, sets: &Sets) -> bool {
        if sets.old.iter().any(|rs| int(rs, "/status/replicas") > 0) {
            return true;
        }
        let old: Vec<&str> = sets.old.iter().map(meta::uid).collect();
        let ns = sets.old.first().map(meta::namespace).unwrap_or_default();
        self.st.list(&u::pods(), Some(ns)).any(|p| {
            u::controller_uid(p).is_some_and(|c| old.contains(&c))
                && !matches!(
                    p.pointer("/status/phase").and_then(Value::as_str),
                    Some("Failed" | "Succeeded")
                )
        })
    }

    /// `cleanupDeployment`: old sets beyond `revisionHistoryLimit`, oldest revisions first,
    /// once they are scaled down and observed so.
    fn cleanup(&mut self, d: &Value, sets: &Sets) {
        let Some(limit) = d
            .pointer("/spec/revisionHistoryLimit")
            .and_then(Value::as_i64)
        else {
            return;
        };
        let mut cleanable: Vec<&Value> = sets
            .old
            .iter()
            .filter(|rs| !meta::is_deleting(rs))
            .collect();
        let diff = cleanable.len() as i64 - limit;
        if diff <= 0 {
            return;
        }
        cleanable.sort_by(|a, b| {
            let (ra, rb) = (u::revision(a).unwrap_or(0), u::revision(b).unwrap_or(0));
            ra.cmp(&rb).then_with(|| u::by_creation(a, b))
        });
        for rs in cleanable.into_iter().take(diff as usize) {
            if int(rs, "/status/replicas") != 0
                || spec_replicas(rs) != 0
                || int(rs, "/metadata/generation") > int(rs, "/status/observedGeneration")
            {
                continue;
            }
            u::delete(self.st, &replicasets(), meta::namespace(rs), meta::name(rs));
        }
    }

    /// `syncRolloutStatus`: the status, plus the Progressing condition's verdict.
    fn rollout_status(&mut self, mut d: Value, sets: &Sets) {
        let mut status = calculate_status(&d, &sets.all(), sets.new.as_ref(), self.now);
        let old_status = d.get("status").cloned().unwrap_or(json!({}));
        if !u::has_progress_deadline(&d) {
            u::remove_condition(&mut status, "Progressing");
        }
        let current = u::get_condition(&old_status, "Progressing").cloned();
        let done = int(&status, "/replicas") == int(&status, "/updatedReplicas")
            && current
                .as_ref()
                .is_some_and(|c| c["reason"] == "NewReplicaSetAvailable");
        let rs_name = sets.new.as_ref().map(|n| meta::name(n).to_string());
        let subject = |what: &str| match &rs_name {
            Some(n) => format!("ReplicaSet {n:?} {what}"),
            None => format!("Deployment {:?} {what}", meta::name(&d)),
        };
        if u::has_progress_deadline(&d) && !done {
            if complete(&d, &status) {
                let msg = subject("has successfully progressed.");
                u::set_condition(
                    &mut status,
                    u::condition(
                        "Progressing",
                        "True",
                        "NewReplicaSetAvailable",
                        &msg,
                        self.now,
                    ),
                );
            } else if progressing(&old_status, &status) {
                let msg = subject("is progressing.");
                let mut cond =
                    u::condition("Progressing", "True", "ReplicaSetUpdated", &msg, self.now);
                if let Some(cur) = &current {
                    if cur["status"] == "True" {
                        cond["lastTransitionTime"] = cur["lastTransitionTime"].clone();
                    }
                    u::remove_condition(&mut status, "Progressing");
                }
                u::set_condition(&mut status, cond);
            } else if timed_out(&d, &status) {
                let msg = subject("has timed out progressing.");
                u::set_condition(
                    &mut status,
                    u::condition(
                        "Progressing",
                        "False",
                        "ProgressDeadlineExceeded",
                        &msg,
                        self.now,
                    ),
                );
            }
        }
        if d.get("status") != Some(&status) {
            d["status"] = status;
            self.write_status(&mut d);
        }
    }
}

fn set_min_ready(rs: &mut Value, seconds: i64) {
    if let Some(spec) = rs.get_mut("spec").and_then(Value::as_object_mut) {
        if seconds == 0 {
            spec.shift_remove("minReadySeconds");
        } else {
            spec.insert("minReadySeconds".into(), json!(seconds));
        }
    }
}

fn newest(sets: &[Value]) -> Option<Value> {
    sets.iter().max_by(|a, b| u::by_creation(a, b)).cloned()
}

/// `IsSaturated`: the new set is fully sized for the Deployment and all of it is available.
fn saturated(d: &Value, rs: &Value) -> bool {
    let want = spec_replicas(d);
    u::annotation(rs, u::DESIRED_REPLICAS) == Some(want.to_string().as_str())
        && spec_replicas(rs) == want
        && int(rs, "/status/availableReplicas") == want
}

/// `NewRSNewReplicas`: how far the new set may grow now.
fn new_rs_replicas(d: &Value, all: &[&Value], new: &Value) -> i64 {
    let want = spec_replicas(d);
    if !u::is_rolling(d) {
        return want;
    }
    let current: i64 = all.iter().map(|rs| spec_replicas(rs)).sum();
    let max_total = want + u::max_surge(d);
    if current >= max_total {
        return spec_replicas(new);
    }
    let up = (max_total - current).min(want - spec_replicas(new));
    spec_replicas(new) + up
}

/// `GetReplicaSetProportion`.
fn proportion(rs: &Value, d: &Value, to_add: i64, added: i64) -> i64 {
    if spec_replicas(rs) == 0 || to_add == 0 || to_add == added {
        return 0;
    }
    let fraction = fraction(rs, d);
    let allowed = to_add - added;
    if to_add > 0 {
        fraction.min(allowed)
    } else {
        fraction.max(allowed)
    }
}

/// `getReplicaSetFraction`.
fn fraction(rs: &Value, d: &Value) -> i64 {
    let want = spec_replicas(d);
    if want == 0 {
        return -spec_replicas(rs);
    }
    let deployment_replicas = want + u::max_surge(d);
    let annotated = u::annotation(rs, u::MAX_REPLICAS)
        .and_then(|v| v.parse::<i64>().ok())
        .unwrap_or_else(|| int(d, "/status/replicas"));
    if annotated == 0 {
        return 0;
    }
    let size = (spec_replicas(rs) * deployment_replicas) as f64 / annotated as f64;
    size.round() as i64 - spec_replicas(rs)
}

//! Controllers clients can observe: namespace lifecycle, garbage collection, Deployments with
//! their ReplicaSets and pods, workload status, the Helm-controller stand-in, and state
//! persistence. They run in one background task that wakes after writes and on a short tick.

pub mod cluster;
pub mod crds;
pub mod deploy_status;
pub mod deploy_util;
pub mod deployments;
pub mod gc;
pub mod helm;
pub mod namespaces;
pub mod pods;
pub mod replicasets;
pub mod workloads;

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::sync::watch;

use crate::resources::{ResKey, ResourceType};
use crate::sim::Sim;
use crate::status::ApiResult;
use crate::store::State;
use crate::write::{self, Ctx};

/// Writes a new status for `obj` through the status subresource as `manager`.
pub fn write_status(
    st: &mut State,
    rt: &ResourceType,
    obj: &Value,
    status: Value,
    manager: &str,
) -> ApiResult<Value> {
    let mut next = obj.clone();
    next["status"] = status;
    let sub = if rt.status { "status" } else { "" };
    let ctx = Ctx {
        manager,
        subresource: sub,
        dry_run: false,
        track: true,
    };
    write::update(st, rt, obj, next, &ctx).map(|(v, _)| v)
}

/// The preferred type of a store key.
pub fn type_of(st: &State, key: &ResKey) -> Option<Arc<ResourceType>> {
    st.registry.preferred(key)
}

/// Runs all controllers until `stop` flips; saves the state file on the way out.
pub async fn run(sim: Arc<Sim>, mut stop: watch::Receiver<bool>) {
    let mut rollouts = workloads::Rollouts::default();
    let mut helm = helm::HelmController::new(sim.config.fixtures_dir.clone());
    let mut kubelet = pods::Kubelet::default();
    loop {
        tokio::select! {
            _ = sim.wake.notified() => {}
            _ = tokio::time::sleep(Duration::from_millis(100)) => {}
            _ = stop.changed() => break,
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        let mut changed = false;
        {
            let mut st = sim.state();
            for _ in 0..4 {
                let mut round = false;
                round |= namespaces::pass(&mut st);
                round |= cluster::pass(&mut st, sim.ca_pem.as_deref());
                round |= gc::pass(&mut st);
                round |= crds::pass(&mut st);
                round |= helm.pass(&mut st);
                round |= rollouts.pass(&mut st, sim.config.rollout_delay);
                round |= deployments::pass(&mut st);
                round |= replicasets::pass(&mut st);
                round |= kubelet.pass(&mut st, &sim.config.node_name, sim.config.rollout_delay);
                changed |= round;
                if !round {
                    break;
                }
            }
        }
        if changed {
            sim.changed();
        }
        save(&sim);
    }
    save(&sim);
}

fn save(sim: &Sim) {
    let Some(path) = &sim.config.state else {
        return;
    };
    let mut st = sim.state();
    if st.dirty {
        if let Err(e) = st.save(path) {
            eprintln!("kube-sim: cannot save state to {}: {e}", path.display());
        } else {
            st.dirty = false;
        }
    }
}

//! A node that goes away mid-command gives a clear SSH error within the
//! configured bounds, never a hang.

mod common;

use common::{quick, rt, target};
use std::time::{Duration, Instant};
use strata_host::{Session, SshError, SshOptions};
use strata_testbed::fleet;

#[test]
fn a_node_stopped_while_a_command_runs_is_a_clear_error() {
    let Some(f) = fleet(1) else { return };
    let options = SshOptions {
        command_timeout: Duration::from_secs(40),
        ..quick()
    };
    rt().block_on(async {
        let s = Session::connect(&target(&f, 0, "root"), &options)
            .await
            .unwrap();
        let start = Instant::now();
        let (r, _) = tokio::join!(s.run(&["sleep", "60"]), async {
            tokio::time::sleep(Duration::from_secs(1)).await;
            let c = f.nodes()[0].container.clone();
            tokio::task::spawn_blocking(move || strata_testbed::docker(&["stop", "-t", "5", &c]))
                .await
                .unwrap()
                .unwrap();
        });
        let e = r.unwrap_err();
        let took = start.elapsed();
        eprintln!("stopped node reported after {took:?}: {e}");
        assert!(
            matches!(e, SshError::Lost { .. } | SshError::CommandTimeout { .. }),
            "{e}"
        );
        assert!(e.to_string().contains("sleep 60"), "{e}");
        assert!(e.retryable());
        assert!(
            took < options.command_timeout + Duration::from_secs(5),
            "{took:?}"
        );
        // The next connect to the stopped node fails quickly and clearly too.
        let start = Instant::now();
        let e = Session::connect(&target(&f, 0, "root"), &options)
            .await
            .unwrap_err();
        assert!(
            matches!(
                e,
                SshError::Connect { .. } | SshError::ConnectTimeout { .. }
            ),
            "{e}"
        );
        assert!(start.elapsed() < Duration::from_secs(30));
    });
}

#[test]
fn a_frozen_node_is_detected_by_keepalive_or_the_command_timeout() {
    let Some(f) = fleet(1) else { return };
    let options = SshOptions {
        command_timeout: Duration::from_secs(15),
        ..quick()
    };
    rt().block_on(async {
        let s = Session::connect(&target(&f, 0, "root"), &options)
            .await
            .unwrap();
        let start = Instant::now();
        let (r, _) = tokio::join!(s.run(&["sleep", "60"]), async {
            tokio::time::sleep(Duration::from_secs(1)).await;
            let c = f.nodes()[0].container.clone();
            tokio::task::spawn_blocking(move || strata_testbed::docker(&["pause", &c]))
                .await
                .unwrap()
                .unwrap();
        });
        let took = start.elapsed();
        f.unpause(0).unwrap();
        let e = r.unwrap_err();
        eprintln!("frozen node reported after {took:?}: {e}");
        assert!(
            matches!(e, SshError::Lost { .. } | SshError::CommandTimeout { .. }),
            "{e}"
        );
        assert!(
            took <= options.command_timeout + Duration::from_secs(3),
            "{took:?}"
        );
    });
}

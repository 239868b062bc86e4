//! What other nodes of the cluster send this one, handed to the layer that owns it: events of
//! followed runs to the hub, cancels to the runs this node executes, room messages to the room's
//! members here, account changes to the sockets here; and, after the broker's subscriber connection came back, a catch-up of every
//! followed run.

use tokio::sync::mpsc;

use crate::{accounts::Accounts, broker::Incoming, hub::Hub, runs::Runs};

pub fn spawn_dispatch(
    mut incoming: mpsc::Receiver<Incoming>,
    hub: Hub,
    runs: Runs,
    accounts: Accounts,
) {
    tokio::spawn(async move {
        while let Some(message) = incoming.recv().await {
            match message {
                Incoming::Event { run, bytes } => hub.deliver_remote(&run, bytes),
                Incoming::Cancel { run } => {
                    runs.cancel_here(&run);
                }
                Incoming::Room { room, bytes } => hub.room_broadcast_here(&room, bytes),
                Incoming::Lost { run } => hub.rebase_lost(&run),
                Incoming::AccountChanged(account) => accounts.changed_elsewhere(account),
                Incoming::Reconnected => {
                    let hub = hub.clone();
                    tokio::spawn(async move { hub.rejoin_remote().await });
                }
            }
        }
    });
}

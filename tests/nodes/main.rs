//! Several `kirim serve` processes sharing one database (and Redis): the deployment shape of
//! contract §6–§7. Needs PostgreSQL and Redis (see `scripts/services`); fails if either is missing.

#[path = "../api/support.rs"]
mod support;

#[path = "../api/fixtures.rs"]
mod fixtures;
#[path = "../api/receiver.rs"]
mod receiver;

mod node;

mod crash;
mod delivery;
mod lifecycle;
mod outage;
mod reads;
mod revocation;
mod secrets;
mod shared;

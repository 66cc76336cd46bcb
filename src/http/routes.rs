//! The route table: every operation served, as a method and a path template, with the router
//! built from it. The API suite holds the table against the OpenAPI document, so an operation can
//! be neither routed without being documented nor documented without being routed.

use axum::Router;
use axum::handler::Handler;
use axum::routing::{MethodFilter, on};

use crate::state::AppState;

/// One routed operation: `("POST", "/v1/labels")`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Operation {
    pub method: &'static str,
    pub path: &'static str,
}

/// A router and the list of what it routes, built together.
#[derive(Default)]
pub struct Routes {
    router: Router<AppState>,
    operations: Vec<Operation>,
}

impl Routes {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn get<H: Handler<T, AppState>, T: 'static>(self, path: &'static str, h: H) -> Self {
        self.on(MethodFilter::GET, "GET", path, h)
    }

    pub fn post<H: Handler<T, AppState>, T: 'static>(self, path: &'static str, h: H) -> Self {
        self.on(MethodFilter::POST, "POST", path, h)
    }

    pub fn patch<H: Handler<T, AppState>, T: 'static>(self, path: &'static str, h: H) -> Self {
        self.on(MethodFilter::PATCH, "PATCH", path, h)
    }

    pub fn delete<H: Handler<T, AppState>, T: 'static>(self, path: &'static str, h: H) -> Self {
        self.on(MethodFilter::DELETE, "DELETE", path, h)
    }

    fn on<H: Handler<T, AppState>, T: 'static>(
        mut self,
        filter: MethodFilter,
        method: &'static str,
        path: &'static str,
        handler: H,
    ) -> Self {
        // axum merges method routers given for the same path (and panics on a repeated method).
        self.router = self.router.route(path, on(filter, handler));
        self.operations.push(Operation { method, path });
        self
    }

    pub fn merge(mut self, other: Routes) -> Self {
        self.router = self.router.merge(other.router);
        self.operations.extend(other.operations);
        self
    }

    pub fn operations(&self) -> &[Operation] {
        &self.operations
    }

    pub fn into_router(self) -> Router<AppState> {
        self.router
    }
}

//! Lists that follow `next_cursor`: ask for the next item or the next page; the pager fetches
//! pages as needed, with the filters it was made with.

use std::collections::VecDeque;

use reqwest::Method;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::client::{Client, check, decode};
use crate::error::Result;

/// One page of a list envelope.
#[derive(Debug, Clone, Deserialize)]
pub struct Page<T> {
    /// The items, in the list's order.
    pub data: Vec<T>,
    /// Whether another page follows.
    pub has_more: bool,
    /// The cursor of the next page, when there is one.
    pub next_cursor: Option<String>,
}

/// Walks a list page by page. Memory holds one page at a time, so a million contacts stream
/// through in constant space.
///
/// ```no_run
/// # async fn run(client: kirim_client::Client) -> kirim_client::Result<()> {
/// let mut contacts = client.list_contacts("106540352242922", &Default::default());
/// while let Some(contact) = contacts.next().await? {
///     println!("{} {}", contact.id, contact.phone_number);
/// }
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Pager<T> {
    client: Client,
    path: String,
    query: Vec<(&'static str, String)>,
    cursor: Option<String>,
    buffer: VecDeque<T>,
    finished: bool,
}

impl<T: DeserializeOwned> Pager<T> {
    pub(crate) fn new(client: &Client, path: String, query: Vec<(&'static str, String)>) -> Self {
        Self {
            client: client.clone(),
            path,
            query,
            cursor: None,
            buffer: VecDeque::new(),
            finished: false,
        }
    }

    /// Starts from this cursor instead of the first page (to resume a walk).
    pub fn starting_at(mut self, cursor: impl Into<String>) -> Self {
        self.cursor = Some(cursor.into());
        self
    }

    /// The cursor the next page will be fetched with (`None` before the first page or at the end).
    pub fn cursor(&self) -> Option<&str> {
        self.cursor.as_deref()
    }

    /// The next page, or `None` when the list is exhausted. Items already buffered by
    /// [`Pager::next`] are returned first, as a page of their own.
    pub async fn next_page(&mut self) -> Result<Option<Vec<T>>> {
        if !self.buffer.is_empty() {
            return Ok(Some(self.buffer.drain(..).collect()));
        }
        if self.finished {
            return Ok(None);
        }
        let mut query = self.query.clone();
        if let Some(cursor) = &self.cursor {
            query.push(("cursor", cursor.clone()));
        }
        let reply = self.client.send(Method::GET, &self.path, &query, None).await?;
        check(&reply)?;
        let page: Page<T> = decode(reply.status.as_u16(), &reply.body)?;
        self.cursor = page.next_cursor.filter(|_| page.has_more);
        self.finished = self.cursor.is_none();
        Ok(Some(page.data))
    }

    /// The next item, or `None` at the end of the list.
    pub async fn next(&mut self) -> Result<Option<T>> {
        loop {
            if let Some(item) = self.buffer.pop_front() {
                return Ok(Some(item));
            }
            if self.finished {
                return Ok(None);
            }
            match self.next_page().await? {
                Some(page) => self.buffer.extend(page),
                None => return Ok(None),
            }
        }
    }

    /// Every remaining item, in one vector (for lists known to be small).
    pub async fn collect(mut self) -> Result<Vec<T>> {
        let mut all = Vec::new();
        while let Some(page) = self.next_page().await? {
            all.extend(page);
        }
        Ok(all)
    }
}

//! The window's query tabs: any number, one shown, in the user's order; closed tabs kept a
//! while so a close can be undone; and their saved form (`tabs.json`, queries only).

use std::time::{Duration, Instant};

use crate::app::draft::QueryDraft;
use crate::app::state::ResultView;
use crate::app::tab::QueryTab;
use crate::settings::{SavedTab, SavedTabs};
use crate::worker::TabId;

/// How long a closed tab can be brought back (with its result).
pub const REOPEN_WINDOW: Duration = Duration::from_secs(30);

/// The most closed tabs kept for reopening (each may hold a large result).
const CLOSED_KEPT: usize = 5;

/// A closed tab kept for "Undo" / Ctrl+Shift+T.
#[derive(Debug)]
pub struct ClosedTab {
    /// The tab as it was.
    pub tab: QueryTab,
    /// Where it stood in the strip.
    pub index: usize,
    /// When it was closed.
    pub closed_at: Instant,
}

/// The query tabs. There is always at least one.
#[derive(Debug)]
pub struct Tabs {
    tabs: Vec<QueryTab>,
    active: usize,
    next_id: u64,
    closed: Vec<ClosedTab>,
    /// The empty tab put in place of the last one closed (reopening replaces it).
    placeholder: Option<TabId>,
}

impl Tabs {
    /// One tab holding `draft`.
    pub fn with_draft(draft: QueryDraft) -> Tabs {
        Tabs {
            tabs: vec![QueryTab::new(TabId(1), draft)],
            active: 0,
            next_id: 2,
            closed: Vec::new(),
            placeholder: None,
        }
    }

    /// The tabs saved last time, or `None` when there were none to restore.
    pub fn restore(saved: &SavedTabs) -> Option<Tabs> {
        let mut tabs: Vec<QueryTab> = Vec::new();
        for saved_tab in &saved.tabs {
            // Ids must stay unique: a duplicate (a hand-edited file) gets a new one below.
            let id = TabId(saved_tab.id);
            let draft = saved_tab
                .draft
                .as_ref()
                .and_then(|value| serde_json::from_value::<QueryDraft>(value.clone()).ok())
                .or_else(|| saved_tab.query.as_ref().map(QueryDraft::from_body))
                .unwrap_or_default();
            let mut tab = QueryTab::new(id, draft);
            tab.name = saved_tab.name.clone().filter(|name| !name.trim().is_empty());
            tab.preset_name.clone_from(&saved_tab.preset_name);
            tab.view = saved_tab.view.as_deref().and_then(ResultView::from_name).unwrap_or_default();
            tab.grid = saved_tab
                .grid
                .as_ref()
                .and_then(|value| serde_json::from_value(value.clone()).ok())
                .unwrap_or_default();
            tab.chart_settings = saved_tab
                .chart
                .as_ref()
                .and_then(|value| serde_json::from_value(value.clone()).ok())
                .unwrap_or_default();
            tab.drilled_from =
                saved_tab.drilled_from.as_ref().and_then(|value| serde_json::from_value(value.clone()).ok());
            // Compare comes back on with its period; it runs with the tab's next run.
            if let Some(offset) =
                saved_tab.compare.as_ref().and_then(|value| serde_json::from_value(value.clone()).ok())
            {
                tab.compare.enabled = true;
                tab.compare.offset = offset;
            }
            tabs.push(tab);
        }
        if tabs.is_empty() {
            return None;
        }
        let mut next_id = tabs.iter().map(|tab| tab.id.0).max().unwrap_or(0) + 1;
        let mut seen = std::collections::HashSet::new();
        for tab in &mut tabs {
            if tab.id.0 == 0 || !seen.insert(tab.id) {
                tab.id = TabId(next_id);
                next_id += 1;
                seen.insert(tab.id);
            }
        }
        let active = saved.active.min(tabs.len() - 1);
        Some(Tabs { tabs, active, next_id, closed: Vec::new(), placeholder: None })
    }

    /// What `tabs.json` keeps: every tab's query and settings, not results.
    pub fn to_saved(&self) -> SavedTabs {
        SavedTabs {
            tabs: self
                .tabs
                .iter()
                .map(|tab| SavedTab {
                    id: tab.id.0,
                    name: tab.name.clone(),
                    preset_name: tab.preset_name.clone(),
                    draft: serde_json::to_value(&tab.draft).ok(),
                    query: Some(tab.draft.best_effort_body()),
                    view: Some(tab.view.as_str().to_string()),
                    grid: serde_json::to_value(&tab.grid).ok(),
                    chart: serde_json::to_value(&tab.chart_settings).ok(),
                    drilled_from: tab.drilled_from.as_ref().and_then(|from| serde_json::to_value(from).ok()),
                    compare: tab
                        .compare
                        .enabled
                        .then(|| serde_json::to_value(tab.compare.offset).ok())
                        .flatten(),
                })
                .collect(),
            active: self.active,
        }
    }

    /// A fresh id for a new tab.
    pub fn new_id(&mut self) -> TabId {
        let id = TabId(self.next_id);
        self.next_id += 1;
        id
    }

    /// The tab shown.
    pub fn active(&self) -> &QueryTab {
        // Never empty (`remove` puts a new tab in place of the last), and `active` is kept in
        // range by every change; the `min` is a second guard.
        &self.tabs[self.active.min(self.tabs.len().saturating_sub(1))]
    }

    /// The tab shown, to change it.
    pub fn active_mut(&mut self) -> &mut QueryTab {
        let index = self.active.min(self.tabs.len().saturating_sub(1));
        &mut self.tabs[index]
    }

    /// The id of the tab shown.
    pub fn active_id(&self) -> TabId {
        self.active().id
    }

    /// The index of the tab shown.
    pub fn active_index(&self) -> usize {
        self.active
    }

    /// A tab by id.
    pub fn get(&self, id: TabId) -> Option<&QueryTab> {
        self.tabs.iter().find(|tab| tab.id == id)
    }

    /// A tab by id, to change it.
    pub fn get_mut(&mut self, id: TabId) -> Option<&mut QueryTab> {
        self.tabs.iter_mut().find(|tab| tab.id == id)
    }

    /// The tabs, left to right.
    pub fn iter(&self) -> impl Iterator<Item = &QueryTab> {
        self.tabs.iter()
    }

    /// The tabs, left to right, to change them.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut QueryTab> {
        self.tabs.iter_mut()
    }

    /// How many tabs are open.
    pub fn len(&self) -> usize {
        self.tabs.len()
    }

    /// Never true: a window always has a tab. (For clippy's `len_without_is_empty`.)
    pub fn is_empty(&self) -> bool {
        self.tabs.is_empty()
    }

    /// Where a tab stands, by id.
    pub fn index_of(&self, id: TabId) -> Option<usize> {
        self.tabs.iter().position(|tab| tab.id == id)
    }

    /// Adds `tab` right of the tab shown and shows it.
    pub fn open(&mut self, tab: QueryTab) -> TabId {
        let id = tab.id;
        let index = (self.active + 1).min(self.tabs.len());
        self.tabs.insert(index, tab);
        self.active = index;
        id
    }

    /// Adds `tab` at the end and shows it.
    pub fn push(&mut self, tab: QueryTab) -> TabId {
        let id = tab.id;
        self.tabs.push(tab);
        self.active = self.tabs.len() - 1;
        id
    }

    /// Shows a tab. Returns false when there is no such tab.
    pub fn activate(&mut self, id: TabId) -> bool {
        match self.index_of(id) {
            Some(index) => {
                self.active = index;
                true
            }
            None => false,
        }
    }

    /// Shows the next tab (`forward`) or the previous one, wrapping around.
    pub fn cycle(&mut self, forward: bool) {
        let len = self.tabs.len();
        self.active = if forward { (self.active + 1) % len } else { (self.active + len - 1) % len };
    }

    /// Moves the tab at `from` to `to` (indices before the move); the tab shown stays shown.
    pub fn move_tab(&mut self, from: usize, to: usize) {
        if from >= self.tabs.len() || from == to {
            return;
        }
        let shown = self.active_id();
        let tab = self.tabs.remove(from);
        let to = to.min(self.tabs.len());
        self.tabs.insert(to, tab);
        self.active = self.index_of(shown).unwrap_or(0);
    }

    /// Takes a tab out. The last tab is replaced by a new empty one, so the window always has
    /// one. Returns the tab and where it stood.
    pub fn remove(&mut self, id: TabId) -> Option<(QueryTab, usize)> {
        let index = self.index_of(id)?;
        let tab = self.tabs.remove(index);
        if self.tabs.is_empty() {
            let new_id = self.new_id();
            self.tabs.push(QueryTab::new(new_id, QueryDraft::default()));
            self.placeholder = Some(new_id);
        }
        if self.active > index || self.active >= self.tabs.len() {
            self.active = self.active.saturating_sub(1);
        }
        Some((tab, index))
    }

    /// Keeps a closed tab for reopening (only one worth keeping: a result or edits).
    pub fn keep_closed(&mut self, tab: QueryTab, index: usize) {
        self.closed.push(ClosedTab { tab, index, closed_at: Instant::now() });
        if self.closed.len() > CLOSED_KEPT {
            self.closed.remove(0);
        }
    }

    /// The most recently closed tab that can still be reopened.
    pub fn last_closed(&self) -> Option<&ClosedTab> {
        self.closed.last()
    }

    /// Puts the most recently closed tab back where it was and shows it.
    pub fn reopen_closed(&mut self) -> Option<TabId> {
        let closed = self.closed.pop()?;
        let id = closed.tab.id;
        // A window that had only that tab got an empty one instead: it goes again, unless
        // it was used meanwhile.
        let placeholder = self.placeholder.take();
        if self.tabs.len() == 1
            && self.tabs.first().is_some_and(|tab| Some(tab.id) == placeholder && tab.is_empty())
        {
            self.tabs.clear();
        }
        let index = closed.index.min(self.tabs.len());
        self.tabs.insert(index, closed.tab);
        self.active = index;
        Some(id)
    }

    /// Drops closed tabs older than [`REOPEN_WINDOW`] (and with them their results).
    /// Returns whether any went.
    pub fn forget_old_closed(&mut self, now: Instant) -> bool {
        let before = self.closed.len();
        self.closed.retain(|closed| now.saturating_duration_since(closed.closed_at) < REOPEN_WINDOW);
        self.closed.len() != before
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tabs_of(count: u64) -> Tabs {
        let mut tabs = Tabs::with_draft(QueryDraft::default());
        for _ in 1..count {
            let id = tabs.new_id();
            tabs.push(QueryTab::new(id, QueryDraft::default()));
        }
        tabs
    }

    fn ids(tabs: &Tabs) -> Vec<u64> {
        tabs.iter().map(|tab| tab.id.0).collect()
    }

    #[test]
    fn moving_a_tab_keeps_the_one_shown() {
        let mut tabs = tabs_of(4);
        tabs.activate(TabId(2));
        tabs.move_tab(0, 3);
        assert_eq!(ids(&tabs), [2, 3, 4, 1]);
        assert_eq!(tabs.active_id(), TabId(2));
        tabs.cycle(false);
        assert_eq!(tabs.active_id(), TabId(1), "wraps around");
        tabs.cycle(true);
        assert_eq!(tabs.active_id(), TabId(2));
    }

    #[test]
    fn closing_and_reopening_puts_the_tab_back_where_it_was() {
        let mut tabs = tabs_of(3);
        tabs.activate(TabId(2));
        let (tab, index) = tabs.remove(TabId(2)).unwrap();
        assert_eq!(ids(&tabs), [1, 3]);
        tabs.keep_closed(tab, index);
        assert_eq!(tabs.reopen_closed(), Some(TabId(2)));
        assert_eq!(ids(&tabs), [1, 2, 3]);
        assert_eq!(tabs.active_id(), TabId(2));
        assert!(tabs.reopen_closed().is_none());
    }

    #[test]
    fn closing_the_last_tab_leaves_an_empty_one_and_old_closed_tabs_expire() {
        let mut tabs = tabs_of(1);
        let (tab, index) = tabs.remove(TabId(1)).unwrap();
        assert_eq!(tabs.len(), 1);
        assert_ne!(tabs.active_id(), TabId(1));
        tabs.keep_closed(tab, index);
        // Reopening replaces the empty stand-in.
        assert_eq!(tabs.reopen_closed(), Some(TabId(1)));
        assert_eq!(ids(&tabs), [1]);
        let (tab, index) = tabs.remove(TabId(1)).unwrap();
        tabs.keep_closed(tab, index);
        assert!(!tabs.forget_old_closed(Instant::now()));
        assert!(tabs.forget_old_closed(Instant::now() + REOPEN_WINDOW));
        assert!(tabs.last_closed().is_none());
    }

    #[test]
    fn saved_tabs_come_back_with_unique_ids() {
        let mut tabs = tabs_of(2);
        tabs.active_mut().name = Some("Second".into());
        let mut saved = tabs.to_saved();
        assert_eq!(saved.active, 1);
        saved.tabs.push(saved.tabs[0].clone());
        let restored = Tabs::restore(&saved).unwrap();
        assert_eq!(ids(&restored), [1, 2, 3]);
        assert_eq!(restored.active().title(), "Second");
        assert!(Tabs::restore(&SavedTabs::default()).is_none());
    }

    #[test]
    fn a_tab_keeps_its_query_view_across_a_restart() {
        let mut tabs = tabs_of(2);
        let mut effects = Vec::new();
        tabs.active_mut().switch_query_view(crate::api::view::View::SemanticThreads, &mut effects);
        let restored = Tabs::restore(&tabs.to_saved()).unwrap();
        assert_eq!(restored.active().draft.view, crate::api::view::View::SemanticThreads);
        assert_eq!(
            restored.iter().next().map(|tab| tab.draft.view),
            Some(crate::api::view::View::Conversations)
        );
    }

    #[test]
    fn a_drill_down_tab_keeps_where_it_came_from_and_old_files_still_load() {
        use crate::data::drill::Provenance;
        let mut tabs = tabs_of(2);
        let from = Provenance {
            text: "from: count per day by type \u{27a1} 2026-11-12, support_ticket".into(),
            view: crate::api::view::View::Conversations,
            query: crate::api::query::parse_query(
                r#"{"select":[{"type":"aggregation","aggregation":"count"}]}"#,
            )
            .unwrap(),
            clicked: Some(42.0),
        };
        tabs.active_mut().drilled_from = Some(from.clone());
        let text = serde_json::to_string(&tabs.to_saved()).unwrap();
        let restored = Tabs::restore(&serde_json::from_str(&text).unwrap()).unwrap();
        assert_eq!(restored.active().drilled_from, Some(from));
        assert_eq!(restored.iter().next().and_then(|tab| tab.drilled_from.clone()), None);
        // A file from before drill-down, and one whose provenance no longer reads: both load.
        let old = r#"{"tabs":[{"id":1,"name":"Old"}],"active":0}"#;
        let restored = Tabs::restore(&serde_json::from_str(old).unwrap()).unwrap();
        assert_eq!(restored.active().drilled_from, None);
        assert_eq!(restored.active().title(), "Old");
        let odd = r#"{"tabs":[{"id":1,"name":"Odd","drilledFrom":{"text":7}}],"active":0}"#;
        let restored = Tabs::restore(&serde_json::from_str(odd).unwrap()).unwrap();
        assert_eq!((restored.active().title(), restored.active().drilled_from.clone()), ("Odd".into(), None));
    }
    #[test]
    fn a_tab_keeps_compare_and_its_period_and_old_files_load_without_it() {
        use crate::data::compare::CompareOffset;
        let mut tabs = tabs_of(2);
        tabs.active_mut().compare.enabled = true;
        tabs.active_mut().compare.offset = CompareOffset::Week;
        let saved = tabs.to_saved();
        assert_eq!(saved.tabs[1].compare, Some(serde_json::json!("week")));
        assert_eq!(saved.tabs[0].compare, None, "off is not written");
        let text = serde_json::to_string(&saved).unwrap();
        let restored = Tabs::restore(&serde_json::from_str(&text).unwrap()).unwrap();
        assert!(restored.active().compare.enabled);
        assert_eq!(restored.active().compare.offset, CompareOffset::Week);
        assert!(!restored.iter().next().unwrap().compare.enabled);
        // A period this build does not know turns Compare off; the tab still loads.
        let odd = r#"{"tabs":[{"id":1,"name":"Odd","compare":"fortnight"}],"active":0}"#;
        let restored = Tabs::restore(&serde_json::from_str(odd).unwrap()).unwrap();
        assert_eq!((restored.active().title(), restored.active().compare.enabled), ("Odd".into(), false));
    }
}

//! Temporary: shows the query form in a real window for a visual check (removed after).
#![allow(deprecated, missing_docs)]
use inkeep_explorer::api::query::{Field, parse_query};
use inkeep_explorer::app::draft::QueryDraft;
use inkeep_explorer::app::query_form::{FormContext, Suggestions, query_form_ui};

fn main() {
    let body = serde_json::json!({
        "select": [
            {"type": "aggregation", "aggregation": "count"},
            {"type": "time", "timeUnit": "day"},
            {"type": "field", "field": "properties"},
            {"type": "aggregation", "aggregation": "countDistinct", "field": "userProperties", "path": ["userId"]}
        ],
        "groupBy": [{"field": "type"}, {"field": "properties", "path": ["source"], "includeInSelect": false}],
        "where": {"and": [
            {"condition": {"field": "type", "operator": "in", "value": ["openai", "support_ticket"]}},
            {"condition": {"field": "firstMessageTime", "operator": "gte", "value": "2024-05-01"}},
            {"or": [
                {"condition": {"field": "userMessageCount", "operator": "gt", "value": 3}},
                {"condition": {"field": "properties", "operator": "eq", "value": {"path": ["source"], "value": "slack"}}},
                {"condition": {"field": "properties", "operator": "jsonContains", "value": {"plan": "pro"}}}
            ]},
            {"condition": {"field": "integrationId", "operator": "isNull"}}
        ]},
        "orderBy": [{"field": "count", "direction": "desc"}, {"field": "sum_userMessageCount", "direction": "asc"}],
        "notes": "Weekly support review — conversations by type"
    });
    let mut draft = QueryDraft::from_body(&parse_query(&body.to_string()).unwrap());
    if let Some(inkeep_explorer::app::draft::FilterDraft::Group(g)) = &mut draft.filter {
        if let inkeep_explorer::app::draft::FilterDraft::Condition(c) = &mut g.items[1] {
            c.value.scalar.text = "2024-05-0x".into();
        }
    }
    let mut suggestions = Suggestions::default();
    suggestions.keys.insert(Field::Properties, vec!["source".into(), "plan".into()]);
    struct App { draft: QueryDraft, suggestions: Suggestions, problems: Vec<inkeep_explorer::api::validate::Problem> }
    impl eframe::App for App {
        fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
            egui::ScrollArea::vertical().show(ui, |ui| {
                let ctx = FormContext { problems: &self.problems, suggestions: &self.suggestions };
                let out = query_form_ui(ui, &mut self.draft, &ctx);
                if out.changed || self.problems.is_empty() {
                    self.problems = self.draft.to_body().err().unwrap_or_default();
                }
            });
        }
    }
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default().with_inner_size([620.0, 900.0]),
        ..Default::default()
    };
    eframe::run_native("form", options, Box::new(move |_| Ok(Box::new(App { draft, suggestions, problems: Vec::new() })))).unwrap();
}

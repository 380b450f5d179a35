//! The product vocabulary the semantic threads, feedback and events are written in: a small
//! fictional SaaS product (dashboard, REST API, SDKs, widget, integrations) described by
//! subjects, each in one category, with question templates, answers, documentation gaps,
//! search queries and documentation articles.
//!
//! Texts take one *variant* of their subject (an identity provider, an SDK, a framework…)
//! in place of `{}`, so the same template reads differently from thread to thread, and the
//! variant becomes a first- or third-party entity of the thread.

/// What a subject's variant names, which decides the entity list it lands in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum VariantKind {
    /// One of the product's own parts (an SDK, a plan): a first-party entity.
    FirstParty,
    /// Another company's product (an identity provider, a framework): a third-party entity.
    ThirdParty,
    /// Not an entity (a month, a file format).
    Plain,
}

/// One thing users ask about.
#[derive(Debug)]
pub(super) struct Subject {
    /// `subject`.
    pub name: &'static str,
    /// `category`.
    pub category: &'static str,
    /// Relative frequency among questions.
    pub weight: u32,
    /// How often its questions are documented, per mille.
    pub documented_per_mille: u64,
    /// Substituted for `{}` in every text of the subject.
    pub variants: &'static [&'static str],
    /// Which entity list the variant goes to.
    pub variant_kind: VariantKind,
    /// First-party entities every question of the subject mentions.
    pub first_party: &'static [&'static str],
    /// Question templates with their `questionType`.
    pub questions: &'static [(&'static str, &'static str)],
    /// Answers when the subject is documented.
    pub answers: &'static [&'static str],
    /// `gapSummary` texts for undocumented questions.
    pub gaps: &'static [&'static str],
    /// What users type in the search box.
    pub searches: &'static [&'static str],
    /// Documentation articles: title and path under the organization's docs site.
    pub articles: &'static [(&'static str, &'static str)],
}

impl Subject {
    /// `template` with `variant` in place of `{}`.
    pub(super) fn fill(template: &str, variant: &str) -> String {
        template.replace("{}", variant)
    }
}

/// The subject of questions that have nothing to do with the product (`isOnTopic` false).
pub(super) const OFF_TOPIC: &str = "Off-topic";

/// Answers to documented-looking questions the docs do not cover.
pub(super) const UNDOCUMENTED_ANSWERS: [&str; 3] = [
    "I could not find documentation that covers this. Please contact support so they can confirm.",
    "The documentation does not mention this case. The community forum may have an example; support can confirm.",
    "I am not sure this is possible: nothing in the docs describes it. Support can confirm and file a feature request.",
];

/// The subjects, most asked first.
pub(super) const SUBJECTS: [Subject; 13] = [
    Subject {
        name: "Single sign-on",
        category: "Authentication",
        weight: 110,
        documented_per_mille: 800,
        variants: &["Okta", "Azure AD", "Google Workspace", "OneLogin"],
        variant_kind: VariantKind::ThirdParty,
        first_party: &["SSO", "Dashboard"],
        questions: &[
            ("How do I set up SSO with {}?", "how_to"),
            ("SSO login with {} fails with \"invalid SAML response\". What is wrong?", "troubleshooting"),
            ("Can I enforce SSO through {} for every member of my workspace?", "feature_request"),
            ("Does SSO with {} also provision and deprovision users?", "conceptual"),
        ],
        answers: &[
            "Open Settings > Security > Single sign-on, choose {}, paste the metadata URL of your identity provider and test the connection before enforcing it.",
            "SAML errors with {} usually mean the ACS URL or the entity ID differ from the ones in your identity provider; copy both again from Settings > Security.",
        ],
        gaps: &[
            "No guide covers SCIM provisioning with {}.",
            "The docs do not explain how to enforce SSO with {} for members who already exist.",
        ],
        searches: &["sso {}", "saml setup", "enforce sso", "{} scim"],
        articles: &[
            ("Configuring SSO", "/docs/security/sso"),
            ("SAML troubleshooting", "/docs/security/saml-errors"),
        ],
    },
    Subject {
        name: "API keys",
        category: "Authentication",
        weight: 120,
        documented_per_mille: 900,
        variants: &["REST API", "Python SDK", "Node SDK", "CLI"],
        variant_kind: VariantKind::FirstParty,
        first_party: &["API keys"],
        questions: &[
            ("How do I rotate the API key used by the {}?", "how_to"),
            ("Why does the {} return 401 Unauthorized with a key I just created?", "troubleshooting"),
            ("Can an API key for the {} be limited to read-only access?", "feature_request"),
            ("What is the difference between a project key and a personal key in the {}?", "conceptual"),
        ],
        answers: &[
            "Create the new key under Settings > API keys, deploy it to the {}, then revoke the old key; both work until you revoke it.",
            "A new key works only for the project it was created in; check that the {} points at that project and sends the key as a Bearer token.",
        ],
        gaps: &[
            "Key scopes for the {} are not documented.",
            "The docs do not say how long a revoked key keeps working in the {}.",
        ],
        searches: &["api key", "rotate key", "401 unauthorized", "{} authentication"],
        articles: &[("Rotating API keys", "/docs/api/keys"), ("Authentication", "/docs/api/authentication")],
    },
    Subject {
        name: "Login problems",
        category: "Account",
        weight: 90,
        documented_per_mille: 850,
        variants: &["Chrome", "Safari", "Firefox", "Edge"],
        variant_kind: VariantKind::ThirdParty,
        first_party: &["Dashboard"],
        questions: &[
            ("I cannot log in to the dashboard from {}, the page just reloads.", "troubleshooting"),
            ("Why am I logged out every few minutes in {}?", "troubleshooting"),
            ("How do I reset two-factor authentication if I lost my phone?", "how_to"),
        ],
        answers: &[
            "A login loop in {} is almost always blocked third-party cookies; allow cookies for the dashboard domain or use the direct login link.",
            "Ask a workspace admin to reset your second factor under Members, then log in again and enrol a new device.",
        ],
        gaps: &["Known issues with {} privacy settings are not documented."],
        searches: &["login loop", "reset 2fa", "logged out {}", "cannot sign in"],
        articles: &[("Troubleshooting login errors", "/docs/account/login")],
    },
    Subject {
        name: "Invoices",
        category: "Billing",
        weight: 80,
        documented_per_mille: 750,
        variants: &["March", "last month's", "the annual", "my first"],
        variant_kind: VariantKind::Plain,
        first_party: &["Billing portal"],
        questions: &[
            ("Why was I charged twice on {} invoice?", "troubleshooting"),
            ("How do I add a VAT number to {} invoice?", "how_to"),
            ("Can {} invoice be sent to a different email address?", "feature_request"),
        ],
        answers: &[
            "Open the billing portal, select {} invoice and edit the billing details; the corrected invoice is issued within a day.",
            "A second charge on {} invoice is usually a pending authorisation that disappears within five days; the billing portal lists only the real charge.",
        ],
        gaps: &["Refunds for {} invoice are not described anywhere in the docs."],
        searches: &["invoice", "vat number", "double charge", "billing email"],
        articles: &[("Understanding your invoice", "/docs/billing/invoices")],
    },
    Subject {
        name: "Plans and pricing",
        category: "Billing",
        weight: 70,
        documented_per_mille: 700,
        variants: &["Starter", "Team", "Enterprise"],
        variant_kind: VariantKind::FirstParty,
        first_party: &["Billing portal"],
        questions: &[
            ("What is included in the {} plan?", "conceptual"),
            ("How do I upgrade from the free plan to {}?", "how_to"),
            ("Is there a discount on the {} plan for non-profits?", "feature_request"),
        ],
        answers: &[
            "The {} plan includes everything in the plan below plus more seats and higher limits; the pricing page lists the details.",
            "Choose {} in the billing portal; the upgrade applies immediately and the difference is prorated.",
        ],
        gaps: &[
            "Discounts for the {} plan are not documented.",
            "Seat limits of the {} plan are missing from the docs.",
        ],
        searches: &["pricing", "{} plan", "upgrade plan", "discount"],
        articles: &[("Plans and pricing", "/docs/billing/plans")],
    },
    Subject {
        name: "Rate limits",
        category: "API",
        weight: 75,
        documented_per_mille: 800,
        variants: &["REST API", "Search API", "Webhooks"],
        variant_kind: VariantKind::FirstParty,
        first_party: &["REST API"],
        questions: &[
            ("What are the rate limits of the {}?", "conceptual"),
            ("I keep getting 429 Too Many Requests from the {}. How do I avoid it?", "troubleshooting"),
            ("Can the rate limit of the {} be raised for our account?", "feature_request"),
        ],
        answers: &[
            "The {} allows 100 requests per second per project; honour the Retry-After header and back off exponentially.",
            "A 429 from the {} means the per-project limit was reached; batch requests or spread them out, and retry after the Retry-After delay.",
        ],
        gaps: &["Burst limits of the {} are not documented."],
        searches: &["rate limit", "429", "{} limits", "too many requests"],
        articles: &[("API rate limits", "/docs/api/rate-limits")],
    },
    Subject {
        name: "Webhooks",
        category: "Integrations",
        weight: 70,
        documented_per_mille: 650,
        variants: &["Zapier", "AWS Lambda", "Vercel", "n8n"],
        variant_kind: VariantKind::ThirdParty,
        first_party: &["Webhooks"],
        questions: &[
            ("How do I send webhooks to {}?", "how_to"),
            ("Webhook deliveries to {} fail with a signature error.", "troubleshooting"),
            ("Can webhooks to {} be retried manually?", "feature_request"),
            ("In which order are webhook events delivered to {}?", "conceptual"),
        ],
        answers: &[
            "Add an endpoint under Settings > Webhooks with the URL {} gives you, pick the events, and verify the signature with the endpoint's secret.",
            "Signature errors with {} come from verifying a re-serialised body; verify the raw request body with the endpoint secret.",
        ],
        gaps: &[
            "Retrying failed deliveries to {} is not documented.",
            "Delivery order guarantees for {} are not documented.",
        ],
        searches: &["webhook", "{} webhook", "webhook signature", "retry webhook"],
        articles: &[("Setting up webhooks", "/docs/integrations/webhooks")],
    },
    Subject {
        name: "Chat integrations",
        category: "Integrations",
        weight: 60,
        documented_per_mille: 750,
        variants: &["Slack", "Discord", "Microsoft Teams"],
        variant_kind: VariantKind::ThirdParty,
        first_party: &["Assistant"],
        questions: &[
            ("How do I add the assistant to our {} workspace?", "how_to"),
            ("The assistant stopped answering in {}.", "troubleshooting"),
            ("Can the assistant answer in private {} channels?", "feature_request"),
        ],
        answers: &[
            "Install the app from Settings > Integrations > {}, then invite the bot to the channels where it should answer.",
            "If the assistant is silent in {}, reinstall the app: its token expires when the installing user leaves the workspace.",
        ],
        gaps: &["Private channels in {} are not covered by the docs."],
        searches: &["{} bot", "{} integration", "assistant not answering"],
        articles: &[("Chat integrations", "/docs/integrations/chat")],
    },
    Subject {
        name: "Widget setup",
        category: "Widget",
        weight: 100,
        documented_per_mille: 850,
        variants: &["React", "Next.js", "Vue", "WordPress"],
        variant_kind: VariantKind::ThirdParty,
        first_party: &["Widget"],
        questions: &[
            ("How do I embed the chat widget in a {} site?", "how_to"),
            ("The widget does not show up in my {} app after deploying.", "troubleshooting"),
            ("Can I change the widget's colours and font in {}?", "how_to"),
            ("Can the widget open automatically on some {} pages?", "feature_request"),
        ],
        answers: &[
            "Install the widget package, add the component to your {} layout with your integration key, and it appears on every page.",
            "If the widget is missing in {}, check the browser console: the integration key must belong to a widget integration and the domain must be allowed.",
        ],
        gaps: &["Opening the widget automatically in {} is not documented."],
        searches: &["widget {}", "embed widget", "widget not showing", "widget theme"],
        articles: &[
            ("Getting started with the widget", "/docs/widget/quickstart"),
            ("Customising the widget", "/docs/widget/theming"),
        ],
    },
    Subject {
        name: "Data export",
        category: "Data",
        weight: 55,
        documented_per_mille: 600,
        variants: &["BigQuery", "Snowflake", "Amazon S3"],
        variant_kind: VariantKind::ThirdParty,
        first_party: &["Data export"],
        questions: &[
            ("How do I export our conversations to {}?", "how_to"),
            ("The scheduled export to {} has not run since yesterday.", "troubleshooting"),
            ("Can exports to {} be incremental?", "feature_request"),
        ],
        answers: &[
            "Create a destination for {} under Settings > Data export and schedule it; the first run exports everything.",
            "A stalled export to {} usually means its credentials expired; reconnect the destination and the next run catches up.",
        ],
        gaps: &[
            "Incremental exports to {} are not documented.",
            "The export schema for {} is not documented.",
        ],
        searches: &["export data", "{} export", "csv export", "scheduled export"],
        articles: &[("Exporting your data", "/docs/data/export")],
    },
    Subject {
        name: "Migration to v2",
        category: "API",
        weight: 45,
        documented_per_mille: 550,
        variants: &["Python SDK", "Node SDK", "REST API"],
        variant_kind: VariantKind::FirstParty,
        first_party: &["v2 API"],
        questions: &[
            ("What changes when we move the {} from v1 to v2?", "conceptual"),
            ("After upgrading the {} to v2 every call returns 404.", "troubleshooting"),
            ("Is there a tool that migrates {} code to v2?", "feature_request"),
        ],
        answers: &[
            "In v2 the {} uses cursor pagination and nested resources; the migration guide lists each renamed endpoint.",
            "404s after moving the {} to v2 mean the base path still ends in /v1; update the base URL as the migration guide shows.",
        ],
        gaps: &[
            "The migration guide does not cover the {}.",
            "Deprecation dates for v1 of the {} are not documented.",
        ],
        searches: &["migrate v2", "{} v2", "v1 deprecation", "breaking changes"],
        articles: &[("Migrating from v1 to v2", "/docs/api/migration-v2")],
    },
    Subject {
        name: "Search quality",
        category: "Widget",
        weight: 40,
        documented_per_mille: 500,
        variants: &["code samples", "changelog entries", "PDF manuals"],
        variant_kind: VariantKind::Plain,
        first_party: &["Search"],
        questions: &[
            ("Why does search not find our {}?", "troubleshooting"),
            ("How do I add our {} to the search index?", "how_to"),
            ("Can search rank {} lower than guides?", "feature_request"),
        ],
        answers: &[
            "Add the {} as a source under Settings > Sources; they are indexed within an hour.",
            "Search finds {} only once their source is crawled; start a re-crawl from the source's page.",
        ],
        gaps: &["Ranking of {} is not documented.", "Which file types of {} are indexed is not documented."],
        searches: &["search results", "index {}", "missing results", "re-crawl"],
        articles: &[("Managing sources", "/docs/search/sources")],
    },
    Subject {
        name: OFF_TOPIC,
        category: "Other",
        weight: 25,
        documented_per_mille: 1000,
        variants: &["cats", "the weather", "football"],
        variant_kind: VariantKind::Plain,
        first_party: &[],
        questions: &[
            ("Can you write me a poem about {}?", "off_topic"),
            ("What do you think about {}?", "off_topic"),
        ],
        answers: &[
            "I can only help with questions about the product. Is there something about it I can help with?",
        ],
        gaps: &["Nothing to document: the question was not about the product."],
        searches: &["{}"],
        articles: &[("Help centre", "/docs")],
    },
];

/// Negative feedback reasons: label and the details users write.
pub(super) const NEGATIVE_REASONS: [(&str, &[&str]); 5] = [
    ("Incorrect", &["The steps do not match what I see.", "This setting does not exist.", "Wrong endpoint."]),
    ("Outdated docs", &["The screenshots show the old dashboard.", "This was renamed in v2."]),
    ("Not helpful", &["Did not answer my question.", "Too generic."]),
    ("Missing information", &["No example for my setup.", "Does not say what happens afterwards."]),
    ("Too long", &["I only needed the command."]),
];

/// Positive feedback reasons.
pub(super) const POSITIVE_REASONS: [(&str, &[&str]); 3] = [
    ("Helpful", &["Solved it, thanks!", "Exactly what I needed."]),
    ("Accurate", &["Worked on the first try."]),
    ("Clear", &["Easy to follow."]),
];

/// Free-text `details` of feedback, by type.
pub(super) const NEGATIVE_DETAILS: [&str; 4] = [
    "I followed this and it still fails.",
    "Please link the right page.",
    "The answer ignores my question about permissions.",
    "Had to open a ticket in the end.",
];
/// Free-text `details` of positive feedback.
pub(super) const POSITIVE_DETAILS: [&str; 3] =
    ["Great answer.", "Saved me a support ticket.", "Quick and correct."];

/// The documentation site of an organization, where article paths live.
pub(super) fn docs_site(organization_id: &str) -> &'static str {
    if organization_id == "org_lumenlabs" {
        "https://docs.lumenlabs.dev"
    } else {
        "https://docs.northwind.io"
    }
}

use super::{Lang, Msg};

#[test]
fn accept_language_picks_the_preferred_supported_language() {
    assert_eq!(Lang::from_accept_language("zh-CN"), Lang::Zh);
    assert_eq!(Lang::from_accept_language("zh-TW"), Lang::Zh);
    assert_eq!(Lang::from_accept_language("zh-Hant-HK,en;q=0.5"), Lang::Zh);
    assert_eq!(Lang::from_accept_language("zh;q=0.9,en;q=0.8"), Lang::Zh);
    assert_eq!(Lang::from_accept_language("en-US,en;q=0.9"), Lang::En);
    assert_eq!(Lang::from_accept_language("en-US,zh-CN;q=0.9"), Lang::En);
    // q-values decide, not the order.
    assert_eq!(
        Lang::from_accept_language("en;q=0.3, zh-CN;q=0.7"),
        Lang::Zh
    );
    assert_eq!(Lang::from_accept_language("EN;Q=0.2,ZH;Q=0.1"), Lang::En);
    // An unsupported first choice falls to the next supported one.
    assert_eq!(
        Lang::from_accept_language("fr-FR,fr;q=0.9,zh;q=0.8"),
        Lang::Zh
    );
    // q=0 means "not this one".
    assert_eq!(Lang::from_accept_language("zh;q=0, en;q=0.1"), Lang::En);
    assert_eq!(Lang::from_accept_language("zh;q=0"), Lang::En);
    // Not to be confused with other languages that start with the same letters.
    assert_eq!(Lang::from_accept_language("zha, enm"), Lang::En);
}

#[test]
fn garbage_empty_and_oversized_headers_give_english() {
    assert_eq!(Lang::from_accept_language(""), Lang::En);
    assert_eq!(Lang::from_accept_language("*"), Lang::En);
    assert_eq!(Lang::from_accept_language(",,;;==;q=;"), Lang::En);
    assert_eq!(Lang::from_accept_language("zh;q=abc"), Lang::En);
    assert_eq!(Lang::from_accept_language("zh;q=7"), Lang::En);
    assert_eq!(Lang::from_accept_language("\u{fffd}\u{0}中文"), Lang::En);
    // Only the start of a huge header is read: a Chinese entry past the bound does not count.
    let long = format!("{}zh-CN", "x-foo;q=0.1,".repeat(10_000));
    assert_eq!(Lang::from_accept_language(&long), Lang::En);
    // Entries past the count bound do not count either, however short.
    let many = format!("{}zh", "a,".repeat(20));
    assert_eq!(Lang::from_accept_language(&many), Lang::En);
    // A cut in the middle of a multi-byte character does not panic.
    let wide = "语".repeat(1_000);
    assert_eq!(Lang::from_accept_language(&wide), Lang::En);
}

#[test]
fn the_cookie_overrides_the_header() {
    assert_eq!(Lang::for_request(Some("lang=en"), Some("zh-CN")), Lang::En);
    assert_eq!(
        Lang::for_request(Some("a=1; lang=zh-CN; b=2"), Some("en-US")),
        Lang::Zh
    );
    // No cookie, or one we cannot read: the header decides.
    assert_eq!(
        Lang::for_request(Some("session=x"), Some("zh-CN")),
        Lang::Zh
    );
    assert_eq!(
        Lang::for_request(Some("lang=klingon"), Some("zh")),
        Lang::Zh
    );
    assert_eq!(Lang::for_request(None, Some("zh-TW")), Lang::Zh);
    assert_eq!(Lang::for_request(None, None), Lang::En);
    // Another cookie whose name ends in "lang" is not ours.
    assert_eq!(Lang::for_request(Some("xlang=zh"), None), Lang::En);
}

#[test]
fn the_cookie_the_switch_sets_reads_back() {
    for lang in Lang::ALL {
        let set = lang.cookie();
        assert!(
            set.contains("Path=/")
                && set.contains("Max-Age=31536000")
                && set.contains("SameSite=Lax")
        );
        let pair = set.split(';').next().unwrap();
        assert_eq!(Lang::from_cookie_header(pair), Some(lang));
    }
    assert_eq!(Lang::Zh.html_lang(), "zh-CN");
    assert_eq!(Lang::En.html_lang(), "en");
}

#[test]
fn every_message_has_two_different_non_empty_texts() {
    for &m in Msg::ALL {
        assert!(
            !m.en().trim().is_empty() && !m.zh().trim().is_empty(),
            "{m:?}"
        );
        // The Chinese text is Chinese (names such as "JSON" or "p95" are the same in both).
        assert!(
            m.en() != m.zh() || !m.en().chars().any(|c| c.is_ascii_lowercase()),
            "{m:?} is not translated"
        );
    }
}

#[test]
fn lines_the_server_writes_in_english_read_the_same_in_english() {
    // The same words as runs/live.rs and engine/load (the page says them again from the figures).
    assert_eq!(
        Lang::En.queued(1),
        "Queued: waiting for a free slot (1 run ahead)"
    );
    assert_eq!(
        Lang::En.queued(3),
        "Queued: waiting for a free slot (3 runs ahead)"
    );
    assert_eq!(
        Lang::Zh.queued(3),
        "排队中：等待空闲位置（前面还有 3 个运行）"
    );
    let stats = crate::protocol::LoadStats {
        elapsed_ms: 12_000,
        active_users: 4,
        requests: 2345,
        errors: 0,
        rps: 195.0,
        p50_ms: 1.0,
        p95_ms: 3.2,
        p99_ms: 4.0,
        recent_p95_ms: 3.0,
        ips: 0.0,
        errors_by_kind: Default::default(),
        target: None,
        dropped: 0,
    };
    assert_eq!(
        Lang::En.load_progress(&stats),
        "12.0 s — 4 users, 2345 requests, 195 req/s now, p95 3.20 ms, 0 errors"
    );
    assert!(Lang::Zh.load_progress(&stats).contains("4 个用户"));
    let one = crate::protocol::LoadStats {
        active_users: 1,
        requests: 1,
        errors: 1,
        ..stats
    };
    assert_eq!(
        Lang::En.load_progress(&one),
        "12.0 s — 1 user, 1 request, 195 req/s now, p95 3.20 ms, 1 error"
    );
    let summary = crate::protocol::LoadSummary {
        requests: 254,
        rps: 42.3,
        p95_ms: 3.2,
        ..Default::default()
    };
    assert_eq!(
        Lang::En.load_done(&summary, 6.04),
        "6.0 s — 254 requests in all, 42 req/s on average, p95 3.20 ms, 0 errors"
    );
    assert!(Lang::Zh.load_done(&summary, 6.04).contains("共 254 个请求"));
}

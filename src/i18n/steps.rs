//! What the engines write about a step (why it failed, what each check was), said again in the page's
//! language. The engines write English once, into the run's events and history, which readers of
//! either language share; the page and the HTML report translate when they show it. Shared by the
//! server and the wasm client, so it is kept to the engines' own sentences; the values in them (a
//! status, a path, an excerpt of a body) stay as they are.

use super::{template, Lang};

/// English template → Chinese template; `{}` stands for one value. More specific first.
const ZH: &[(&str, &str)] = &[
    // Why a request got no response (engine::http).
    ("could not connect to the target", "无法连接到目标"),
    (
        "the target's name does not resolve to an address",
        "目标的主机名无法解析为地址",
    ),
    ("no response within {} ms", "{} ms 内没有响应"),
    (
        "the target address is not allowed (loopback, link-local, cloud metadata or denied by configuration)",
        "目标地址不允许访问（回环、链路本地、云元数据地址或被配置拒绝）",
    ),
    (
        "the request could not be built (check the URL)",
        "无法构造请求（请检查 URL）",
    ),
    (
        "the request failed before a complete response arrived",
        "在收到完整响应之前请求失败",
    ),
    ("the response could not be checked", "无法检查响应"),
    // Failed checks (engine::http::checks).
    ("expected status {}, got {}: {}", "期望状态 {}，实际为 {}：{}"),
    ("expected status {}, got {}", "期望状态 {}，实际为 {}"),
    ("body does not contain {}: {}", "响应体不包含 {}：{}"),
    ("body is not JSON: {}", "响应体不是 JSON：{}"),
    (
        "body does not match the JSON schema at {}: {}",
        "响应体在 {} 处不符合 JSON Schema：{}",
    ),
    ("expected a value, found none", "期望有值，但没有找到"),
    ("expected nothing, found {}", "期望没有值，但找到 {}"),
    ("no value at this path", "此路径上没有值"),
    ("{}: missing", "{}：缺失"),
    ("{}: expected a value, found none", "{}：期望有值，但没有找到"),
    ("{}: expected nothing, found {}", "{}：期望没有值，但找到 {}"),
    ("{}: no value at this path", "{}：此路径上没有值"),
    ("{}: expected {}, got {}", "{}：期望 {}，实际为 {}"),
    ("{} does not match {}", "{} 不匹配 {}"),
    // What each check was.
    ("status {}", "状态 {}"),
    ("latency ≤ {} ms", "延迟 ≤ {} ms"),
    ("body contains {}", "响应体包含 {}"),
    ("body matches {}", "响应体匹配 {}"),
];

impl Lang {
    /// An engine's sentence about a step in this language: translated when it is one of the
    /// sentences above, as it is otherwise.
    pub fn say_step(self, english: &str) -> String {
        match self {
            Lang::En => english.to_owned(),
            Lang::Zh => template::translate(ZH, english).unwrap_or_else(|| english.to_owned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_engines_sentences_read_in_chinese_with_their_values() {
        assert_eq!(
            Lang::Zh.say_step("expected status 200, got 404: not here"),
            "期望状态 200，实际为 404：not here"
        );
        assert_eq!(
            Lang::Zh.say_step("expected status 2xx, got 500"),
            "期望状态 2xx，实际为 500"
        );
        assert_eq!(
            Lang::Zh.say_step("could not connect to the target"),
            "无法连接到目标"
        );
        assert_eq!(Lang::Zh.say_step("latency ≤ 500 ms"), "延迟 ≤ 500 ms");
        assert_eq!(
            Lang::Zh.say_step("$.id: expected 1, got 2"),
            "$.id：期望 1，实际为 2"
        );
        // Not an engine's sentence: as it is, whatever characters it holds.
        assert_eq!(Lang::Zh.say_step("≤≤ does not match ≥"), "≤≤ 不匹配 ≥");
        assert_eq!(Lang::Zh.say_step("状态"), "状态");
        assert_eq!(Lang::Zh.say_step("something else"), "something else");
        assert_eq!(
            Lang::En.say_step("could not connect to the target"),
            "could not connect to the target"
        );
    }
}

//! What the engines write about a step (why it failed, what each check was), said again in the page's
//! language. The engines write English once, into the run's events and history, which readers of
//! either language share; the page and the HTML report translate when they show it. Shared by the
//! server and the wasm client, so it is kept to the engines' own sentences; the values in them (a
//! status, a path, an excerpt of a body) stay as they are.

use super::{template, Lang, Msg};

/// A failed JSON Schema check: where, and jsonschema's sentence for why.
const SCHEMA_FAILURE: &str = "body does not match the JSON schema at {}: {}";

/// jsonschema's sentences (the `why` of [`SCHEMA_FAILURE`]) that its checks give most, in Chinese; the
/// values (a property, a type, a limit, an excerpt of the body) stay as they are.
const SCHEMA_ZH: &[(&str, &str)] = &[
    ("{} is a required property", "缺少必需的属性 {}"),
    ("{} is not of type \"{}\"", "{} 的类型不是 \"{}\""),
    ("{} is not of types {}", "{} 的类型不是 {} 中的任何一种"),
    ("{} is not one of {}", "{} 不是 {} 之一"),
    ("{} was expected", "期望的值是 {}"),
    (
        "{} is less than or equal to the minimum of {}",
        "{} 小于或等于下限 {}",
    ),
    (
        "{} is greater than or equal to the maximum of {}",
        "{} 大于或等于上限 {}",
    ),
    ("{} is less than the minimum of {}", "{} 小于最小值 {}"),
    ("{} is greater than the maximum of {}", "{} 大于最大值 {}"),
    ("{} is longer than {} characters", "{} 超过 {} 个字符"),
    ("{} is longer than {} character", "{} 超过 {} 个字符"),
    ("{} is shorter than {} characters", "{} 不足 {} 个字符"),
    ("{} is shorter than {} character", "{} 不足 {} 个字符"),
    ("{} has more than {} items", "{} 的元素多于 {} 个"),
    ("{} has more than {} item", "{} 的元素多于 {} 个"),
    ("{} has less than {} items", "{} 的元素少于 {} 个"),
    ("{} has less than {} item", "{} 的元素少于 {} 个"),
    ("{} has more than {} properties", "{} 的属性多于 {} 个"),
    ("{} has more than {} property", "{} 的属性多于 {} 个"),
    ("{} has less than {} properties", "{} 的属性少于 {} 个"),
    ("{} has less than {} property", "{} 的属性少于 {} 个"),
    ("{} does not match \"{}\"", "{} 不匹配 \"{}\""),
    ("{} is not a multiple of {}", "{} 不是 {} 的倍数"),
    ("{} has non-unique elements", "{} 含有重复的元素"),
    (
        "Additional properties are not allowed ({} was unexpected)",
        "不允许额外的属性（多出了 {}）",
    ),
    (
        "Additional properties are not allowed ({} were unexpected)",
        "不允许额外的属性（多出了 {}）",
    ),
    (
        "{} is not valid under any of the schemas listed in the 'anyOf' keyword",
        "{} 不符合 'anyOf' 所列的任何一个模式",
    ),
    (
        "{} is not valid under any of the schemas listed in the 'oneOf' keyword",
        "{} 不符合 'oneOf' 所列的任何一个模式",
    ),
    (
        "{} is valid under more than one of the schemas listed in the 'oneOf' keyword",
        "{} 同时符合 'oneOf' 所列的多个模式",
    ),
    ("False schema does not allow {}", "模式为 false，不允许 {}"),
];

/// [`SCHEMA_FAILURE`] in Chinese, with jsonschema's sentence too when it is one of [`SCHEMA_ZH`].
fn schema_failure_zh(english: &str) -> Option<String> {
    let [at, why] = template::values_in(SCHEMA_FAILURE, english)?[..] else {
        return None;
    };
    let why = template::translate(SCHEMA_ZH, why).unwrap_or_else(|| why.to_owned());
    Some(format!("响应体在 {at} 处不符合 JSON Schema：{why}"))
}

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
    ("expected a value, found none", "期望有值，但没有找到"),
    ("expected nothing, found {}", "期望没有值，但找到 {}"),
    ("no value at this path", "此路径上没有值"),
    ("{}: expected a string, got {}", "{}：期望字符串，实际为 {}"),
    ("{}: expected a number, got {}", "{}：期望数字，实际为 {}"),
    ("{}: expected an integer, got {}", "{}：期望整数，实际为 {}"),
    ("{}: expected a integer, got {}", "{}：期望整数，实际为 {}"),
    ("{}: expected a boolean, got {}", "{}：期望布尔值，实际为 {}"),
    ("{}: expected an array, got {}", "{}：期望数组，实际为 {}"),
    ("{}: expected a array, got {}", "{}：期望数组，实际为 {}"),
    ("{}: expected an object, got {}", "{}：期望对象，实际为 {}"),
    ("{}: expected a object, got {}", "{}：期望对象，实际为 {}"),
    ("{}: expected a null, got {}", "{}：期望 null，实际为 {}"),
    ("{}: missing", "{}：缺失"),
    ("{}: expected a value, found none", "{}：期望有值，但没有找到"),
    ("{}: expected nothing, found {}", "{}：期望没有值，但找到 {}"),
    ("{}: no value at this path", "{}：此路径上没有值"),
    ("{}: expected {}, got {}", "{}：期望 {}，实际为 {}"),
    ("{} does not match {}", "{} 不匹配 {}"),
    ("took {} ms, more than the allowed {} ms", "耗时 {} ms，超过允许的 {} ms"),
    ("header {}: missing", "响应头 {}：缺失"),
    ("header {}: expected {}, got {}", "响应头 {}：期望 {}，实际为 {}"),
    ("header {}: {} does not match {}", "响应头 {}：{} 不匹配 {}"),
    ("body does not match {}: {}", "响应体不匹配 {}：{}"),
    ("{}: invalid regex {}: {}", "{}：无效的正则表达式 {}：{}"),
    ("invalid regex {}: {}", "无效的正则表达式 {}：{}"),
    ("{}: invalid JSONPath: {}", "{}：无效的 JSONPath：{}"),
    ("invalid JSON schema: {}", "无效的 JSON Schema：{}"),
    // Captures (engine::http::checks::capture).
    (
        "capture `{}`: {} found nothing in the response body",
        "捕获 `{}`：{} 在响应体中没有找到值",
    ),
    (
        "capture `{}`: the response has no header `{}`",
        "捕获 `{}`：响应中没有 `{}` 响应头",
    ),
    (
        "capture `{}`: {} does not match the response body",
        "捕获 `{}`：{} 与响应体不匹配",
    ),
    (
        "capture `{}`: the value is {} bytes, over the {} a variable may hold",
        "捕获 `{}`：值有 {} 字节，超过变量可容纳的 {} 字节",
    ),
    ("capture `{}`: nothing to capture from", "捕获 `{}`：没有可捕获的来源"),
    // What each check was.
    ("status in [{}]", "状态属于 [{}]"),
    ("status {}", "状态 {}"),
    ("latency ≤ {} ms", "延迟 ≤ {} ms"),
    ("body contains {}", "响应体包含 {}"),
    ("body matches the JSON schema", "响应体符合 JSON Schema"),
    ("body matches {}", "响应体匹配 {}"),
];

/// What a check of a header or a JSON value expects, after its subject (`header x-id …`,
/// `$.id …`); a check may join several with ` and `.
const PREDICATES: &[(&str, &str)] = &[
    ("exists", "存在"),
    ("is present", "存在"),
    ("is absent", "不存在"),
    ("equals {}", "等于 {}"),
    ("matches {}", "匹配 {}"),
    ("is a string", "是字符串"),
    ("is a number", "是数字"),
    ("is an integer", "是整数"),
    ("is a integer", "是整数"),
    ("is a boolean", "是布尔值"),
    ("is an array", "是数组"),
    ("is a array", "是数组"),
    ("is an object", "是对象"),
    ("is a object", "是对象"),
    ("is a null", "是 null"),
];

/// A header or JSON check's label (`$.id exists and is an integer`, `header etag equals "v7"`) in
/// Chinese, if it is one: the subject as it is, each predicate translated.
fn check_label_zh(english: &str) -> Option<String> {
    let (prefix, rest) = match english.strip_prefix("header ") {
        Some(rest) => ("响应头 ", rest),
        None => ("", english),
    };
    let mut parts = rest.split(" and ");
    let first = parts.next()?;
    // The subject ends at the space before the first predicate (a JSONPath or header name has none).
    let (subject, predicate) = first.split_once(' ')?;
    let mut out = format!(
        "{prefix}{subject} {}",
        template::translate(PREDICATES, predicate)?
    );
    for predicate in parts {
        out.push_str("，且");
        out.push_str(&template::translate(PREDICATES, predicate)?);
    }
    Some(out)
}

impl Lang {
    /// An engine's sentence about a step in this language: translated when it is one of the
    /// sentences above, as it is otherwise.
    pub fn say_step(self, english: &str) -> String {
        match self {
            Lang::En => english.to_owned(),
            Lang::Zh => schema_failure_zh(english)
                .or_else(|| template::translate(ZH, english))
                .or_else(|| check_label_zh(english))
                .unwrap_or_else(|| english.to_owned()),
        }
    }

    /// A step's name: a data-driven run's `row 2 · create widget` says its row in this language; the
    /// name the suite gave stays as it is.
    pub fn step_name(self, name: &str) -> String {
        match self {
            Lang::En => name.to_owned(),
            Lang::Zh => template::translate(&[("row {} · {}", "第 {} 行 · {}")], name)
                .unwrap_or_else(|| name.to_owned()),
        }
    }

    /// A load run's kind of error (`timeout`, `status 503`, …, the keys of `errors_by_kind`, which
    /// stay as they are in the JSON) in this language.
    pub fn error_kind(self, kind: &str) -> String {
        const KINDS_ZH: &[(&str, &str)] = &[
            ("connect", "连接失败"),
            ("timeout", "超时"),
            ("dns", "域名解析失败"),
            ("transport", "传输错误"),
            ("check", "检查未通过"),
            ("capture", "提取失败"),
            ("status {}", "状态码 {}"),
            ("no answer before the run ended", "运行结束前没有响应"),
        ];
        match self {
            Lang::En => kind.to_owned(),
            Lang::Zh => template::translate(KINDS_ZH, kind).unwrap_or_else(|| kind.to_owned()),
        }
    }

    /// A run's name: a built-in test's (which the server names in English) in this language, any
    /// other as it is.
    pub fn run_name(self, name: &str) -> String {
        let msg = match name {
            "Demo API (one failing check)" => Msg::NameDemoFailing,
            "Synthetic events" => Msg::NameSynthetic,
            _ => return name.to_owned(),
        };
        self.t(msg).to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_schema_check_reads_in_chinese_with_jsonschemas_sentence() {
        let said = |why: &str| {
            Lang::Zh.say_step(&format!(
                "body does not match the JSON schema at /items/0: {why}"
            ))
        };
        assert_eq!(
            said(r#""name" is a required property"#),
            r#"响应体在 /items/0 处不符合 JSON Schema：缺少必需的属性 "name""#
        );
        assert_eq!(
            said(r#""x" is not of type "integer""#),
            r#"响应体在 /items/0 处不符合 JSON Schema："x" 的类型不是 "integer""#
        );
        assert_eq!(
            said(r#""abcd" is longer than 3 characters"#),
            r#"响应体在 /items/0 处不符合 JSON Schema："abcd" 超过 3 个字符"#
        );
        // A sentence it does not know keeps its English, inside the Chinese.
        assert_eq!(
            said("something else"),
            "响应体在 /items/0 处不符合 JSON Schema：something else"
        );
    }

    #[test]
    fn load_error_kinds_read_in_chinese_and_stay_as_they_are_in_english() {
        assert_eq!(Lang::Zh.error_kind("timeout"), "超时");
        assert_eq!(Lang::Zh.error_kind("status 503"), "状态码 503");
        assert_eq!(Lang::Zh.error_kind("something new"), "something new");
        assert_eq!(Lang::En.error_kind("status 503"), "status 503");
    }

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
        // Check labels, one predicate or several.
        assert_eq!(
            Lang::Zh.say_step("$.status equals \"ok\""),
            "$.status 等于 \"ok\""
        );
        assert_eq!(
            Lang::Zh.say_step("$.id exists and is an integer"),
            "$.id 存在，且是整数"
        );
        assert_eq!(
            Lang::Zh.say_step("header content-type matches /^application/json/"),
            "响应头 content-type 匹配 /^application/json/"
        );
        assert_eq!(
            Lang::Zh.say_step("status in [200, 204]"),
            "状态属于 [200, 204]"
        );
        assert_eq!(
            Lang::Zh.say_step("body matches the JSON schema"),
            "响应体符合 JSON Schema"
        );
        assert_eq!(
            Lang::Zh.say_step("took 61 ms, more than the allowed 5 ms"),
            "耗时 61 ms，超过允许的 5 ms"
        );
        assert_eq!(
            Lang::Zh.say_step("capture `token`: $.token found nothing in the response body"),
            "捕获 `token`：$.token 在响应体中没有找到值"
        );
        assert_eq!(
            Lang::Zh.say_step("$[0].id: expected a string, got 1"),
            "$[0].id：期望字符串，实际为 1"
        );
        assert_eq!(
            Lang::Zh.step_name("row 1 · create widget"),
            "第 1 行 · create widget"
        );
        assert_eq!(Lang::Zh.step_name("status 200"), "status 200");
        // A label with a predicate it does not know stays whole in English.
        assert_eq!(
            Lang::Zh.say_step("$.id exists and glows"),
            "$.id exists and glows"
        );
        assert_eq!(Lang::Zh.run_name("Synthetic events"), "合成事件");
        assert_eq!(Lang::Zh.run_name("My suite"), "My suite");
        assert_eq!(Lang::En.run_name("Synthetic events"), "Synthetic events");
        assert_eq!(Lang::Zh.say_step("something else"), "something else");
        assert_eq!(
            Lang::En.say_step("could not connect to the target"),
            "could not connect to the target"
        );
    }
}

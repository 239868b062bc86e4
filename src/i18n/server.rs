//! The server's own words in the reader's language (server only).
//!
//! Refusals and a suite's problems are written in English where they are found, with the values in
//! them (a limit, a name, a field). Before one is sent to a page, it is matched against this
//! catalogue of templates and said again in the page's language, with the same values. A text the
//! catalogue does not know (a library's error, say) is sent as it is; the catalogue's test makes
//! the server say each of its refusals and checks that none is left in English.

use super::Lang;

/// English template → Chinese template. `{}` stands for one value, put back in the same order.
/// The more specific template comes first where two could match the same text.
const ZH: &[(&str, &str)] = &[
    // Suites (suite::validate).
    ("must not be empty", "不能为空"),
    ("a suite needs at least one step", "套件至少需要一个步骤"),
    ("at most {} steps", "最多 {} 个步骤"),
    ("at most {} stages", "最多 {} 个阶段"),
    (
        "an environment sets variables declared in `variables` (declare it there with a default)",
        "环境只能设置在 `variables` 中声明过的变量（请在那里声明并给出默认值）",
    ),
    (
        "the stages must reach between 1 and {} users",
        "各阶段的目标须在 1 到 {} 个用户之间",
    ),
    ("must be between 1 and {}", "必须在 1 到 {} 之间"),
    ("more than 0", "必须大于 0"),
    (
        "the open model (`arrival_rate`) needs `users`: how many iterations may be in flight at once, between 1 and {}",
        "开放模型（`arrival_rate`）需要 `users`：可同时进行的迭代数，1 到 {} 之间",
    ),
    (
        "iterations per second: more than 0 and at most {}",
        "每秒迭代次数：大于 0 且至多 {}",
    ),
    (
        "iterations per second: 0 or more and at most {}",
        "每秒迭代次数：0 或以上且至多 {}",
    ),
    ("`{}` needs a unit: ms, s, m or h", "`{}` 需要单位：ms、s、m 或 h"),
    ("`{}` is not a duration like 30s", "`{}` 不是 30s 这样的时长"),
    ("unknown unit `{}`: use ms, s, m or h", "未知单位 `{}`：请用 ms、s、m 或 h"),
    ("`{}` is out of range", "`{}` 超出范围"),
    ("must be more than 0", "必须大于 0"),
    (
        "the open model ramps its rate with `stages`, not `ramp_up`",
        "开放模型用 `stages` 调整速率，而不是 `ramp_up`",
    ),
    (
        "give `duration`, `iterations`, `stages`, or more than one",
        "请给出 `duration`、`iterations` 或 `stages`",
    ),
    ("must be more than 0 and at most {} s", "必须大于 0 且至多 {} 秒"),
    ("must be at most 1 h", "至多 1 小时"),
    (
        "with `stages` the run lasts as long as they do: leave `duration` out",
        "使用 `stages` 时运行时长由各阶段决定：请去掉 `duration`",
    ),
    ("iterations per second: between 0 and {}", "每秒迭代次数：0 到 {} 之间"),
    ("users: between 0 and {}", "用户数：0 到 {} 之间"),
    ("together at most {} s", "合计至多 {} 秒"),
    (
        "a stage targets {} users, more than `users` ({})",
        "某个阶段的目标为 {} 个用户，多于 `users`（{}）",
    ),
    ("`{}` is not one of {}", "`{}` 不是以下之一：{}"),
    ("scheme `{}` is not http or https", "协议 `{}` 不是 http 或 https"),
    ("not a URL: {}", "不是有效的 URL：{}"),
    ("not a valid header name", "不是有效的请求头名称"),
    ("give exactly one of {}", "请只给出其中之一：{}"),
    (
        "a variable name is letters, digits, `_`, `-` or `.`",
        "变量名只能包含字母、数字、`_`、`-` 或 `.`",
    ),
    ("the regex needs a group: {}", "正则表达式需要一个分组：{}"),
    ("invalid regex: {}", "无效的正则表达式：{}"),
    ("{} is not an HTTP status (100–599)", "{} 不是 HTTP 状态码（100–599）"),
    (
        "a list of HTTP statuses (100–599), at least one",
        "HTTP 状态码（100–599）列表，至少一个",
    ),
    ("`{}` is not a status class like \"2xx\"", "`{}` 不是 \"2xx\" 这样的状态类别"),
    ("a range needs 100 ≤ min ≤ max ≤ 599", "范围须满足 100 ≤ min ≤ max ≤ 599"),
    ("invalid JSON schema: {}", "无效的 JSON Schema：{}"),
    ("must be at least 1", "至少为 1"),
    ("invalid JSONPath: {}", "无效的 JSONPath：{}"),
    ("a suite may be at most {} bytes", "套件至多 {} 字节"),
    // serde's words about a suite's shape (the values in them are said by `serde_words`).
    ("unknown field `{}`, expected one of {}", "未知字段 `{}`，应为以下之一：{}"),
    ("unknown field `{}`, expected {}", "未知字段 `{}`，应为 {}"),
    ("unknown field `{}`, there are no fields", "未知字段 `{}`，此处不接受字段"),
    ("unknown variant `{}`, expected one of {}", "未知取值 `{}`，应为以下之一：{}"),
    ("unknown variant `{}`, expected {}", "未知取值 `{}`，应为 {}"),
    ("missing field `{}`", "缺少字段 `{}`"),
    ("duplicate field `{}`", "字段 `{}` 重复"),
    ("invalid type: {}, expected {}", "类型不对：这里是{}，应为{}"),
    ("invalid value: {}, expected {}", "取值无效：这里是{}，应为{}"),
    ("invalid length {}, expected {}", "长度无效：{}，应为{}"),
    ("expected value", "此处应有一个值"),
    ("EOF while parsing a value", "文本在一个值中途结束"),
    ("EOF while parsing {}", "文本在解析中途结束"),
    ("trailing characters", "值后面还有多余的字符"),
    ("key must be a string", "键必须是字符串"),
    ("expected `{}` or `{}`", "此处应为 `{}` 或 `{}`"),
    ("expected `{}`", "此处应为 `{}`"),
    (
        "did not find expected key",
        "YAML 格式有误：没有找到应有的键（检查缩进）",
    ),
    (
        "mapping values are not allowed in this context",
        "YAML 格式有误：此处不能有映射值（检查缩进或给含冒号的文本加引号）",
    ),
    (
        "found character that cannot start any token",
        "YAML 格式有误：有不能作为开头的字符（如制表符；给文本加引号）",
    ),
    ("did not find expected node content", "YAML 格式有误：没有找到应有的内容"),
    ("found unexpected end of stream", "YAML 格式有误：文本意外结束"),
    ("could not find expected ':'", "YAML 格式有误：没有找到应有的 ':'"),
    // Accounts, tokens, rooms.
    (
        "a password is 8 to 1024 characters",
        "密码长度须为 8 到 1024 个字符",
    ),
    (
        "a username is 1–64 letters, digits, '.', '_' or '-'",
        "用户名为 1–64 个字母、数字、'.'、'_' 或 '-'",
    ),
    ("the username `{}` is taken", "用户名 `{}` 已被占用"),
    (
        "this is the last enabled admin; make another admin first",
        "这是最后一个启用的管理员；请先设置另一位管理员",
    ),
    ("the current password is wrong", "当前密码不正确"),
    ("a token lives 1–{} days", "令牌有效期为 1–{} 天"),
    ("a token's name is 1–64 characters", "令牌名称为 1–64 个字符"),
    (
        "a room keeps at least one admin; make another member admin first",
        "房间至少要有一位管理员；请先让另一位成员成为管理员",
    ),
    ("a room keeps at least one admin", "房间至少要有一位管理员"),
    (
        "a room name is 1–64 letters, digits, '-' or '_'",
        "房间名为 1–64 个字母、数字、'-' 或 '_'",
    ),
    ("a room role is `admin` or `member`", "房间角色为 `admin` 或 `member`"),
    ("the room `{}` already exists", "房间 `{}` 已存在"),
    // Reading YAML (suite::expansion), for suites and imports.
    (
        "lists and maps nest more than {} levels deep",
        "列表和映射的嵌套超过 {} 层",
    ),
    (
        "with its aliases (`*name`) expanded, the suite would be larger than {} bytes or {} values; write the repeated parts out, or repeat them less",
        "展开别名（`*name`）后，套件将超过 {} 字节或 {} 个值；请直接写出重复的部分，或减少重复",
    ),
    // Imports (import::ImportError); the libraries' own words follow the colons.
    ("the document is larger than {} bytes", "文档超过 {} 字节"),
    ("not JSON: {}", "不是 JSON：{}"),
    ("not YAML: {}", "不是 YAML：{}"),
    (
        "not a valid Postman collection: {}",
        "不是有效的 Postman 集合：{}",
    ),
    ("not a valid {}", "不是有效的 {}"),
    (
        "neither an OpenAPI document (no `openapi` field) nor a Postman collection (its `info.schema` names no getpostman.com schema)",
        "既不是 OpenAPI 文档（没有 `openapi` 字段），也不是 Postman 集合（其 `info.schema` 未指向 getpostman.com 的模式）",
    ),
    (
        "a Swagger 2.0 document: convert it to OpenAPI 3 first (e.g. with swagger2openapi)",
        "Swagger 2.0 文档：请先转换为 OpenAPI 3（例如使用 swagger2openapi）",
    ),
    (
        "OpenAPI {}: documents of version 3.0 and 3.1 can be imported",
        "OpenAPI {}：只能导入 3.0 和 3.1 版本的文档",
    ),
    (
        "a Postman collection {}: export it from Postman again as v2.1",
        "Postman 集合 {}：请在 Postman 中重新导出为 v2.1",
    ),
    // Runs, history, schedules.
    ("days: between 1 and 365", "天数：1 到 365 之间"),
    ("unknown status `{}`", "未知状态 `{}`"),
    ("{}: `{}` is not a date like 2026-11-28", "{}：`{}` 不是 2026-11-28 这样的日期"),
    ("cron: never fires", "cron：永远不会触发"),
    (
        "cron: fires more often than every {} s, the shortest interval this server allows",
        "cron：触发间隔短于 {} 秒（本服务器允许的最短间隔）",
    ),
    (
        "cron: a pattern has 5 fields (minute hour day month weekday), or 6 with seconds first",
        "cron 表达式：应有 5 个字段（分 时 日 月 星期），或以秒开头的 6 个字段",
    ),
    (
        "cron: a field holds characters a pattern does not use (digits, names such as MON or JAN, and * , - / ? L W #)",
        "cron 表达式：某个字段含有不能使用的字符（可用数字、MON 或 JAN 这样的名称，以及 * , - / ? L W #）",
    ),
    (
        "cron: a field is out of its range (seconds and minutes 0–59, hours 0–23, days 1–31, months 1–12, weekdays 0–7)",
        "cron 表达式：某个字段超出范围（秒和分 0–59，时 0–23，日 1–31，月 1–12，星期 0–7）",
    ),
    ("cron: at most {} characters", "cron 表达式：至多 {} 个字符"),
    ("cron: {}", "cron 表达式：{}"),
    (
        "time zone: unknown zone {} (an IANA name such as Europe/Berlin, Asia/Shanghai or UTC)",
        "时区：未知时区 {}（请使用 IANA 名称，如 Europe/Berlin、Asia/Shanghai 或 UTC）",
    ),
    ("environment: at most 200 characters", "环境：至多 200 个字符"),
    (
        "environment: the suite has no environment `{}`",
        "环境：套件中没有名为 `{}` 的环境",
    ),
    ("webhook: at most {} characters", "Webhook：至多 {} 个字符"),
    (
        "webhook: the target address is not allowed (loopback, link-local, cloud metadata or denied by configuration)",
        "Webhook：目标地址不允许访问（回环、链路本地、云元数据地址或被配置拒绝）",
    ),
    ("webhook: could not connect", "Webhook：无法连接"),
    ("webhook: no answer within {} s", "Webhook：{} 秒内没有应答"),
    ("webhook answered {}", "Webhook 应答了 {}"),
    (
        "webhook: give an http:// or https:// address",
        "Webhook：请填写 http:// 或 https:// 地址",
    ),
    (
        "you already have {} runs waiting; cancel some or wait for them to start",
        "你已有 {} 个运行在排队；请取消一些或等待它们开始",
    ),
    (
        "this run would cost {} virtual-user seconds, and {} of your daily {} are left; try a smaller run or wait",
        "此次运行需要 {} 虚拟用户秒，你今天的 {} 额度还剩 {}；请缩小运行规模或稍后再试",
    ),
    ("this scheduled run was already started", "这个定时运行已经开始"),
    ("the run has already ended", "这个运行已经结束"),
    (
        "a status code (100–599), a list of them such as [200, 201], a class such as \"2xx\", or a range such as {min: 200, max: 299}",
        "一个状态码（100–599）、状态码列表如 [200, 201]、类别如 \"2xx\"，或范围如 {min: 200, max: 299}",
    ),
    ("delay_ms must be at most {}", "delay_ms 至多为 {}"),
    ("events must be between 1 and {}", "事件数必须在 1 到 {} 之间"),
    ("rate must be between 1 and {}", "速率必须在 1 到 {} 之间"),
    (
        "step_results: at most {} events may carry a step result",
        "step_results：至多 {} 个事件可以带步骤结果",
    ),
];

/// What the importers note about a document (import::openapi, import::postman). The first value
/// says whose note it is (`request "Login"`, `folder "Auth"`, `the collection`, `GET /pets`):
/// [`WHOSE`] says it again.
const NOTES: &[(&str, &str)] = &[
    ("{}: method {} not imported (a suite sends {})", "{}：未导入方法 {}（套件支持 {}）"),
    (
        "security schemes not imported: {}; add their headers (e.g. Authorization) to the steps",
        "未导入安全方案：{}；请在步骤中加上它们的请求头（例如 Authorization）",
    ),
    (
        "the document's server URL is missing: set `baseUrl` to the API's address before running",
        "文档没有服务器 URL：运行前请把 `baseUrl` 设为 API 的地址",
    ),
    (
        "the document's server URL is relative ({}): set `baseUrl` to the API's address before running",
        "文档的服务器 URL 是相对地址（{}）：运行前请把 `baseUrl` 设为 API 的地址",
    ),
    (
        "the document has no operations that could be imported",
        "文档中没有可以导入的操作",
    ),
    (
        "{}: the response schema is too large once its references are inlined, not imported",
        "{}：响应模式展开引用后过大，未导入",
    ),
    ("{}: cookie parameter `{}` not imported", "{}：未导入 cookie 参数 `{}`"),
    ("{}: request body of type {} not imported", "{}：未导入类型为 {} 的请求体"),
    (
        "used but not defined in the collection, so added empty (give them values, e.g. in an environment): {}",
        "在集合中使用但未定义，已添加为空值（请给它们赋值，例如在环境中）：{}",
    ),
    (
        "{} sets variable `{}` to another value; the first one is kept",
        "{} 把变量 `{}` 设为另一个值；保留第一个值",
    ),
    (
        "{}: pre-request script not imported ({} line); set what it computes as variables",
        "{}：未导入预请求脚本（{} 行）；请把它计算的值设为变量",
    ),
    (
        "{}: pre-request script not imported ({} lines); set what it computes as variables",
        "{}：未导入预请求脚本（{} 行）；请把它计算的值设为变量",
    ),
    (
        "{}: test script not imported ({} line); write its assertions as suite checks",
        "{}：未导入测试脚本（{} 行）；请把其中的断言写成套件的检查",
    ),
    (
        "{}: test script not imported ({} lines); write its assertions as suite checks",
        "{}：未导入测试脚本（{} 行）；请把其中的断言写成套件的检查",
    ),
    (
        "{}: script not imported ({} line); a suite has no scripts",
        "{}：未导入脚本（{} 行）；套件没有脚本",
    ),
    (
        "{}: script not imported ({} lines); a suite has no scripts",
        "{}：未导入脚本（{} 行）；套件没有脚本",
    ),
    ("{}: no URL, not imported", "{}：没有 URL，未导入"),
    (
        "dynamic variable {} not imported: it is sent as written",
        "未导入动态变量 {}：按原样发送",
    ),
    (
        "variable `{}` renamed `{}` (a suite's variable names are letters, digits, `_`, `-` and `.`)",
        "变量 `{}` 改名为 `{}`（套件的变量名只能包含字母、数字、`_`、`-` 和 `.`）",
    ),
    ("{}: multipart form-data body not imported", "{}：未导入 multipart form-data 请求体"),
    ("{}: file body not imported", "{}：未导入文件请求体"),
    (
        "{}: basic auth built from variables not imported; set an Authorization header",
        "{}：未导入由变量构成的 basic 认证；请设置 Authorization 请求头",
    ),
    ("{}: {} auth not imported", "{}：未导入 {} 认证"),
];

/// Whose an import note is.
const WHOSE: &[(&str, &str)] = &[
    ("the collection", "集合"),
    ("request {}", "请求 {}"),
    ("folder {}", "文件夹 {}"),
];

/// The audit log's actions, as the page names them.
const ACTIONS: &[(&str, &str)] = &[
    ("login", "登录"),
    ("login_failed", "登录失败"),
    ("logout", "退出登录"),
    ("register", "注册"),
    ("password_change", "修改密码"),
    ("token_create", "创建令牌"),
    ("token_revoke", "吊销令牌"),
    ("user_create", "创建用户"),
    ("user_role", "设置用户角色"),
    ("user_disable", "停用用户"),
    ("user_enable", "启用用户"),
    ("user_password_reset", "重置用户密码"),
    ("room_create", "创建房间"),
    ("room_member_add", "添加房间成员"),
    ("room_member_remove", "移除房间成员"),
    ("room_member_role", "设置房间成员角色"),
    ("run_start", "开始运行"),
    ("run_restart", "重新运行"),
    ("run_cancel", "取消运行"),
    ("suite_save", "保存套件"),
    ("suite_share", "共享套件"),
    ("suite_unshare", "取消共享套件"),
    ("schedule_save", "保存定时任务"),
    ("schedule_pause", "暂停定时任务"),
    ("schedule_resume", "恢复定时任务"),
    ("schedule_delete", "删除定时任务"),
    ("settings", "修改设置"),
];

/// What an audit entry was done to, and the details it keeps.
const AUDIT_WORDS: &[(&str, &str)] = &[
    ("run {}", "运行 {}"),
    ("restart of run {}", "重新运行 {}"),
    ("suite {} (REST API)", "套件 {}（REST API）"),
    ("suite {}: {} ({})", "套件 {}：{}（{}）"),
    ("suite {}", "套件 {}"),
    ("a sent suite", "直接提交的套件"),
    ("schedule {}", "定时任务 {}"),
    ("token {}", "令牌 {}"),
    ("user {}", "用户 {}"),
    ("test {}", "测试 {}"),
    ("room {}", "房间 {}"),
    ("added {}", "添加了 {}"),
    ("removed {}", "移除了 {}"),
    ("{} is {}", "{} 的角色改为 {}"),
    ("registration_open = {}", "开放注册 = {}"),
    ("{} ({}, {} days)", "{}（{}，{} 天）"),
    ("wrong username or password", "用户名或密码错误"),
    (
        "too many sign-in attempts; try again in {} s",
        "登录尝试次数过多；请在 {} 秒后重试",
    ),
];

/// serde's names for what it found and expected (`invalid type: sequence, expected a string`).
const SERDE_WORDS: &[(&str, &str)] = &[
    ("a string", "字符串"),
    ("string {}", "字符串 {}"),
    ("a sequence", "列表"),
    ("sequence", "列表"),
    ("a map", "映射"),
    ("map", "映射"),
    ("a boolean", "布尔值（true 或 false）"),
    ("boolean {}", "布尔值 {}"),
    ("integer {}", "整数 {}"),
    ("floating point {}", "小数 {}"),
    ("a whole number (0 or more)", "非负整数"),
    ("unit value", "空值"),
    ("null", "空值"),
    ("struct {}", "映射"),
    ("a number", "数字"),
    ("a duration like 30s", "30s 这样的时长"),
];

impl Lang {
    /// One of the server's messages in this language: translated when the catalogue knows it,
    /// as it is otherwise.
    pub fn say(self, english: &str) -> String {
        match self {
            Lang::En => english.to_owned(),
            Lang::Zh => super::template::translate(ZH, english)
                .map(|said| serde_words(english, said))
                .unwrap_or_else(|| english.to_owned()),
        }
    }

    /// An audit entry as the admin page shows it in this language: the action named (its code
    /// kept after it, which the filter takes), what it was done to and its details said again.
    /// The JSON Lines download keeps the entries as they are written.
    pub fn say_audit(
        self,
        mut entry: crate::protocol::api::AuditRecord,
    ) -> crate::protocol::api::AuditRecord {
        if self == Lang::En {
            return entry;
        }
        if let Some((_, zh)) = ACTIONS.iter().find(|(code, _)| *code == entry.action) {
            entry.action = format!("{zh}（{}）", entry.action);
        }
        let say = |text: String| super::template::translate(AUDIT_WORDS, &text).unwrap_or(text);
        entry.target = entry.target.map(say);
        entry.detail = entry.detail.map(say);
        entry
    }

    /// An importer's note in this language, as it is when the catalogue does not know it.
    pub fn say_note(self, english: &str) -> String {
        if self == Lang::En {
            return english.to_owned();
        }
        NOTES
            .iter()
            .find_map(|(en, zh)| {
                let values = super::template::values_in(en, english)?;
                let mut said: Vec<String> = values.iter().map(|v| (*v).to_owned()).collect();
                if en.starts_with("{}") {
                    if let Some(whose) = super::template::translate(WHOSE, values[0]) {
                        said[0] = whose;
                    }
                }
                let said: Vec<&str> = said.iter().map(String::as_str).collect();
                Some(super::template::fill(zh, &said))
            })
            .unwrap_or_else(|| english.to_owned())
    }
}

/// A translated serde message with the kinds in it (`sequence`, `a string`) said in Chinese too.
fn serde_words(english: &str, said: String) -> String {
    for (en, zh) in [
        (
            "invalid type: {}, expected {}",
            "类型不对：这里是{}，应为{}",
        ),
        (
            "invalid value: {}, expected {}",
            "取值无效：这里是{}，应为{}",
        ),
    ] {
        if let Some(values) = super::template::values_in(en, english) {
            let words: Vec<String> = values
                .iter()
                .map(|v| {
                    super::template::translate(SERDE_WORDS, v).unwrap_or_else(|| (*v).to_owned())
                })
                .collect();
            let words: Vec<&str> = words.iter().map(String::as_str).collect();
            return super::template::fill(zh, &words);
        }
    }
    said
}

#[cfg(test)]
mod tests;

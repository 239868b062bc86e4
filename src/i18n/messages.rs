//! Every fixed string of the UI, in English and Chinese. One line per message: `Key => "English",
//! "中文";`. The macro builds `Msg` and one exhaustive `match` per language from the same list, so a
//! message without its translation is a compile error. (end2end/tests/i18n.spec.ts reads this file
//! for the English catalogue: keep one message per line.)

macro_rules! messages {
    ($($key:ident => $en:literal, $zh:literal;)*) => {
        /// A fixed string of the UI; `Lang::t` gives its text.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Msg {
            $($key,)*
        }

        impl Msg {
            /// Every message, for the tests.
            pub const ALL: &'static [Msg] = &[$(Msg::$key,)*];

            pub fn en(self) -> &'static str {
                match self {
                    $(Msg::$key => $en,)*
                }
            }

            pub fn zh(self) -> &'static str {
                match self {
                    $(Msg::$key => $zh,)*
                }
            }
        }
    };
}

messages! {
    // The top bar and the shell.
    NavSuites => "Suites", "套件";
    NavRuns => "Runs", "运行记录";
    NavRooms => "Rooms", "房间";
    NavUsage => "Usage", "用量";
    PageNotFound => "Page not found.", "页面不存在。";
    Admin => "Admin", "管理";
    Account => "Account", "账户";
    SignOut => "Sign out", "退出登录";
    ThemeTitle => "Colour theme: system, dark or light", "配色主题：跟随系统、深色或浅色";
    ThemeSystem => "Theme: system", "主题：跟随系统";
    ThemeDark => "Theme: dark", "主题：深色";
    ThemeLight => "Theme: light", "主题：浅色";
    Language => "Language", "语言";
    RoleAdmin => "admin", "管理员";
    RoleMember => "member", "成员";
    RoleViewer => "viewer", "观察者";

    // Errors the server functions return (those without text of their own).
    ErrUnauthorized => "please sign in", "请先登录";
    ErrBadCredentials => "wrong username or password", "用户名或密码错误";
    ErrForbidden => "you are not allowed to do that", "你没有权限这样做";
    ErrNotFound => "not found", "未找到";
    ErrInternal => "something went wrong on the server; please try again", "服务器出错了，请重试";
    ErrInvalidSuite => "the suite is invalid: ", "套件无效：";
    ErrTooLarge => "the request is too large", "请求太大";
    ErrBusy => "the server is busy; try again shortly", "服务器繁忙，请稍后再试";
    ErrTransport => "could not reach the server", "无法连接服务器";

    // Sign-in.
    SignIn => "Sign in", "登录";
    Username => "Username", "用户名";
    Password => "Password", "密码";
    DemoAccountUser => "Demo account: username ", "演示账户：用户名 ";
    DemoAccountPassword => ", password ", "，密码 ";
    FullStop => ".", "。";
    NewHere => "New here?", "第一次来？";
    NewUsername => "New username", "新用户名";
    NewPassword => "New password", "新密码";
    CreateAccount => "Create an account", "创建账户";

    // Tests and the live progress.
    RecentRuns => "Recent runs", "最近的运行";
    NameSynthetic => "Synthetic events", "合成事件";
    NameDemoFailing => "Demo API (one failing check)", "Demo API（一项检查失败）";
    DescDemo => "Eight requests against the built-in demo API: health, create, list, read, update, a missing item, delete, health again.", "对内置演示 API 发出八个请求：健康检查、创建、列表、读取、更新、读取不存在的条目、删除，再次健康检查。";
    DescDemoFailing => "The same requests, but step 6 expects 200 for an item that does not exist.", "同样的请求，但第 6 步对不存在的条目期望得到 200。";
    DescSynthetic => "Emits progress events at a chosen rate without any network I/O: a live demo of the hub, and the workload of its benchmark.", "按选定的速率发出进度事件，不做任何网络 I/O：既是消息中心的实时演示，也是其基准测试的负载。";
    Tests => "Tests", "测试";
    LoadingTests => "Loading tests…", "正在加载测试…";
    Loading => "Loading…", "加载中…";
    NoSuchTest => "No such test.", "没有这个测试。";
    ViewerNote => "As a viewer you watch runs; you do not start them.", "观察者只能查看运行，不能启动运行。";
    Events => "Events", "事件数";
    EventsPerSecond => "Events per second", "每秒事件数";
    DelayPerStep => "Delay per step (ms)", "每步延迟（毫秒）";
    Start => "Start", "开始";
    LoadingRun => "Loading run…", "正在加载运行…";
    Connecting => "Connecting…", "连接中…";
    Live => "Live", "实时";
    ReasonSessionExpired => "your session has expired; please sign in again", "会话已过期，请重新登录";
    ReasonSignInAgain => "signed out; please sign in again", "已退出登录，请重新登录";
    ReasonSignedOut => "signed out", "已退出登录";
    ReasonByPage => "disconnected by the page", "页面已断开连接";
    SignInAgain => "Sign in again", "重新登录";
    Cancel => "Cancel", "取消";
    Restart => "Restart", "重新开始";
    Clear => "Clear", "清除";
    Download => "Download: ", "下载：";
    HtmlReport => "HTML report", "HTML 报告";
    RunProgress => "Run progress", "运行进度";
    CompareThisRun => "Compare this run", "选择此运行进行比较";
    Step => "Step", "步骤";
    Status => "Status", "状态";
    Time => "Time", "用时";
    Result => "Result", "结果";
    Passed => "passed", "通过";
    Failed => "failed", "失败";
    Captured => "captured: ", "已捕获：";
    Queued => "Queued", "排队中";
    Running => "Running", "运行中";
    Completed => "Completed", "已完成";
    StatusFailed => "Failed", "失败";
    Cancelled => "Cancelled", "已取消";
    Interrupted => "Interrupted", "已中断";

    // The run list and its filters.
    Any => "any", "全部";
    Suite => "Suite", "套件";
    DateFrom => "From", "起始日期";
    DateTo => "To", "截止日期";
    Filter => "Filter", "筛选";
    LoadingRuns => "Loading runs…", "正在加载运行记录…";
    NoRunsYet => "No runs here yet: open a test or a suite and start it.", "这里还没有运行记录：打开一个测试或套件并启动它。";
    Pick => "Pick", "选择";
    Test => "Test", "测试";
    When => "When", "时间";
    Took => "Took", "耗时";
    Progress => "Progress", "进度";
    CompareTwo => "Compare two picked runs", "比较选中的两次运行";

    // Comparing two runs.
    CompareRuns => "Compare runs", "比较运行";
    PickTwo => "Pick exactly two runs to compare.", "请恰好选择两次运行进行比较";
    BackToRuns => "Back to the runs", "返回运行记录";
    RequestsPerSecondShort => "Requests/s", "每秒请求数";
    ErrorRate => "Error rate", "错误率";
    LoadFigures => "Load figures", "负载数据";
    DifferentTests => "These runs are of different tests; steps are matched by position.", "这两次运行属于不同的测试；步骤按位置对应。";
    Run => "Run", "运行";
    StatusDuration => "Status · duration", "状态 · 用时";
    DownloadComparison => "Download this comparison (HTML)", "下载此比较（HTML）";

    // A load run's panel.
    Requests => "Requests", "请求数";
    RpsWhole => "Requests/s (whole run)", "每秒请求数（整次运行）";
    Max => "Max", "最大值";
    Errors => "Errors", "错误数";
    LoadUsers => "Users", "用户数";
    Dropped => "Iterations dropped (no free user)", "丢弃的迭代（无空闲用户）";
    RpsLast => "Requests/s (last interval)", "每秒请求数（最近区间）";
    RpsSoFar => "Requests/s (whole run so far)", "每秒请求数（目前整次运行）";
    ActiveUsers => "Active users", "活跃用户";
    TargetNow => "Target now", "当前目标";
    ErrorsByKind => "Errors by kind: ", "按类型的错误：";
    ChartRps => "Requests per second", "每秒请求数";
    ChartP95 => "p95 latency", "p95 延迟";
    ChartUsers => "Virtual users", "虚拟用户";
    ChartIps => "Iterations per second", "每秒迭代数";
    UnitReqPerSecond => " req/s", " 次请求/秒";
    Achieved => " achieved — target ┅", " 实际 — 目标 ┅";
    Target => "target", "目标";
    Thresholds => "Thresholds", "阈值";
    Threshold => "Threshold", "阈值";
    Measured => "Measured", "实测值";

    // Suites and the editor.
    NewSuite => "New suite", "新建套件";
    Import => "Import", "导入";
    LoadingSuites => "Loading suites…", "正在加载套件…";
    NoSuites => "No suites yet. A suite is a YAML or JSON list of HTTP steps and checks (docs/suites.md).", "还没有套件。套件是用 YAML 或 JSON 写成的 HTTP 步骤与检查列表（见 docs/suites.md）。";
    Version => "Version", "版本";
    Owner => "Owner", "所有者";
    SharedIn => "Shared in", "共享到";
    History => "History", "历史";
    LoadingSuite => "Loading suite…", "正在加载套件…";
    LoadTest => "load test", "负载测试";
    Versions => "Versions: ", "版本：";
    ReadOnly => " · read only", " · 只读";
    OlderVersion => "An older version: saving it makes it the newest.", "这是旧版本：保存后它将成为最新版本。";
    SuiteText => "Suite (YAML or JSON)", "套件（YAML 或 JSON）";
    Save => "Save", "保存";
    Check => "Check", "检查";
    AttachData => "Attach data (CSV or JSON)", "附加数据（CSV 或 JSON）";
    NoProblems => "No problems found.", "未发现问题。";
    Environment => "Environment", "环境";
    Defaults => "(defaults)", "（默认）";
    RunHistory => "Run history", "运行历史";
    ShareIntoRoom => "Share into room", "共享到房间";
    Share => "Share", "共享";
    SharedNow => "Shared: the room's members can run it now.", "已共享：房间成员现在可以运行它。";
    SuiteNotJsonObject => "the suite is not a JSON object", "套件不是 JSON 对象";

    // Importing.
    ImportSuite => "Import a suite", "导入套件";
    ImportHint => "From a Postman collection (v2.1, exported as JSON) or an OpenAPI 3.0 or 3.1 document (JSON or YAML). What a suite cannot express, such as scripts, is listed with the preview, never dropped silently.", "可以导入 Postman 集合（v2.1，导出为 JSON）或 OpenAPI 3.0 / 3.1 文档（JSON 或 YAML）。套件无法表达的内容（例如脚本）会在预览中列出，绝不会悄悄丢弃。";
    ImportFile => "Collection or OpenAPI file", "集合或 OpenAPI 文件";
    PasteHere => "Or paste it here", "或粘贴到这里";
    Preview => "Preview", "预览";
    NotImported => "Not imported, or needs your attention", "未导入或需要你注意的内容";
    ProblemsToFix => "Problems to fix before it can be saved", "保存前需要修复的问题";
    SuiteAsYaml => "The suite, as YAML", "套件（YAML 格式）";
    SaveAsNew => "Save as a new suite", "保存为新套件";

    // Rooms.
    RoomsIntro => "A room is a team space: its members see the runs started in it and run the suites shared into it.", "房间是团队空间：成员可以看到在房间中启动的运行，并运行共享到房间中的套件。";
    LoadingRooms => "Loading rooms…", "正在加载房间…";
    NoRoom => "You are in no room yet.", "你还没有加入任何房间。";
    NewRoom => "New room", "新房间";
    CreateRoom => "Create room", "创建房间";
    LoadingRoom => "Loading the room…", "正在加载房间…";
    Members => "Members", "成员";
    Remove => "Remove", "移除";
    AddMember => "Add member", "添加成员";
    Add => "Add", "添加";
    SharedSuites => "Shared suites", "共享的套件";
    NoSharedSuite => "No suite is shared into this room yet: share one from its editor.", "还没有套件共享到这个房间：可以在套件编辑器中共享。";
    RoomRunsNote => "The room's runs are in your run list.", "房间的运行记录在你的运行列表中。";

    // Usage.
    Period => "Period", "时间范围";
    Show => "Show", "显示";
    LoadingUsage => "Loading usage…", "正在加载用量…";
    NoFinishedRuns => "No finished runs in this period yet.", "这段时间内还没有已结束的运行。";
    RunsCount => "Runs", "运行次数";
    PassedCount => "Passed", "通过";
    FailedCount => "Failed", "失败";
    PassRate => "Pass rate", "通过率";
    P95PerSuite => "p95 response time per suite", "各套件的 p95 响应时间";
    NoSuiteRan => "No stored suite ran in this period.", "这段时间内没有运行已保存的套件。";
    RunsPerDay => "Runs per day", "每日运行次数";
    RunsPerDayHint => "(passed in green; hover a bar for the day)", "（绿色为通过；将鼠标悬停在柱上可查看当天数据）";
    PassRatePerDay => "Pass rate per day", "每日通过率";

    // The account page.
    CurrentPassword => "Current password", "当前密码";
    NewPasswordMin => "New password (at least 8 characters)", "新密码（至少 8 个字符）";
    ChangePassword => "Change password", "修改密码";
    SignsOutElsewhere => "Changing it signs you out everywhere else.", "修改密码后，其他所有地方的登录都会退出。";
    PasswordChanged => "Password changed.", "密码已修改。";
    AccessTokens => "Access tokens", "访问令牌";
    TokensForCi => "For CI: ", "用于 CI：";
    TokensUse => ", the REST API (docs/api.md) and the WebSocket. A token reads your runs and reports; with ", "、REST API（docs/api.md）和 WebSocket。令牌可以读取你的运行和报告；带有 ";
    TokensRunScope => " it also starts runs.", " 权限时还可以启动运行。";
    Name => "Name", "名称";
    Days => "Days", "天数";
    MayStartRuns => " may start runs", " 可以启动运行";
    CreateToken => "Create token", "创建令牌";
    NewToken => "Your new token (shown once; copy it now): ", "你的新令牌（只显示这一次，请立即复制）：";
    LoadingTokens => "Loading tokens…", "正在加载令牌…";
    NoTokens => "No tokens yet.", "还没有令牌。";
    Scopes => "Scopes", "权限范围";
    Expires => "Expires", "过期时间";
    LastUsed => "Last used", "最近使用";
    Never => "never", "从未";
    Revoked => "revoked", "已撤销";
    Revoke => "Revoke", "撤销";

    // Administration.
    UsersHeading => "Users", "用户";
    Role => "Role", "角色";
    CreateUser => "Create user", "创建用户";
    PasswordSet => "Password set.", "密码已设置。";
    LoadingUsers => "Loading users…", "正在加载用户…";
    User => "User", "用户";
    Set => "Set", "设置";
    SetRole => "Set role", "设置角色";
    SetPassword => "Set password", "设置密码";
    AccountDisabled => "disabled", "已停用";
    AccountActive => "active", "正常";
    Enable => "Enable", "启用";
    Disable => "Disable", "停用";
    Settings => "Settings", "设置";
    LoadingSettings => "Loading settings…", "正在加载设置…";
    AnyoneMayRegister => "Anyone may create an account.", "任何人都可以创建账户。";
    OnlyAdminsRegister => "Only admins create accounts.", "只有管理员可以创建账户。";
    CloseRegistration => "Close registration", "关闭注册";
    OpenRegistration => "Open registration", "开放注册";
    RunsKeptForever => "Runs are kept forever", "运行记录永久保留";
    Database => " (LIVECHECK_RETENTION_DAYS). Database: ", "（LIVECHECK_RETENTION_DAYS）。数据库：";
    AuditLog => "Audit log", "审计日志";
    Actor => "Actor", "操作者";
    Action => "Action", "操作";
    DownloadJsonLines => "Download as JSON lines", "下载为 JSON Lines";
    LoadingLog => "Loading the log…", "正在加载日志…";
    Who => "Who", "操作者";
    IpFrom => "From", "来源";
    What => "What", "操作内容";
    AuditTarget => "Target", "对象";
    Detail => "Detail", "详情";

    // Schedules.
    NavSchedules => "Schedules", "定时任务";
    SchedulesIntro => "A schedule runs a stored suite's latest version on a cron pattern, in a time zone, as you. Its runs appear in the history like any other. A webhook, if given, is called when a run fails after passing and when it recovers (JSON that Slack, Mattermost and Feishu incoming webhooks accept).", "定时任务按 cron 表达式、在指定时区、以你的身份运行已保存套件的最新版本，它的运行和其他运行一样出现在运行记录中。如果填写了 Webhook，运行由通过变为失败时和恢复通过时都会调用它（JSON 格式，Slack、Mattermost 和飞书的 Incoming Webhook 可直接接收）。";
    LoadingSchedules => "Loading schedules…", "正在加载定时任务…";
    NoSchedules => "No schedules yet.", "还没有定时任务。";
    ScheduleWhen => "When", "时间";
    ScheduleNext => "Next run", "下次运行";
    ScheduleLast => "Last run", "上次运行";
    Webhook => "Webhook", "Webhook 通知";
    SchedulePaused => "paused", "已暂停";
    ScheduleNoRun => "none yet", "暂无";
    Pause => "Pause", "暂停";
    Resume => "Resume", "恢复";
    Delete => "Delete", "删除";
    NewSchedule => "New schedule", "新建定时任务";
    SaveSuiteFirst => "Save a suite first: ", "请先保存一个套件：";
    WriteOne => "write one", "去编写";
    CronPattern => "Cron pattern", "Cron 表达式";
    CronHelpFields => "minute hour day-of-month month day-of-week, e.g. ", "分 时 日 月 星期，例如 ";
    CronHelpEvery15 => " (every 15 minutes) or ", "（每 15 分钟）或 ";
    CronHelpWeekdays => " (09:00 on weekdays); a sixth field in front gives seconds.", "（工作日 09:00）；在最前面加第六个字段表示秒。";
    TimeZone => "Time zone", "时区";
    EnvironmentOptional => "Environment (optional)", "环境（可选）";
    WebhookOptional => "Webhook URL (optional)", "Webhook 地址（可选）";
    CreateSchedule => "Create schedule", "创建定时任务";
    // The downloadable HTML report of a run (src/report/html.rs).
    ReportTitle => "Run report", "运行报告";
    ReportComparison => "Comparison", "运行对比";
    ReportRun => "run", "运行";
    ReportLoad => "Load", "负载";
    ReportOverTime => "Over time", "随时间变化";
    ReportErrorsSoFar => "Errors (so far)", "错误数（累计）";
    ReportErrorsByKind => "Errors by kind", "按类型的错误";
    ReportSteps => "Steps", "步骤";
    ReportCaptured => "Captured", "捕获的变量";
    ReportEarlier => "Earlier", "较早";
    ReportLater => "Later", "较晚";
    ReportDeltaTime => "Δ time", "用时差";
    ReportErrorRate => "Error rate %", "错误率 %";
    ReportPeak => "peak", "峰值";
    ReportNotRun => "not run", "未运行";
}

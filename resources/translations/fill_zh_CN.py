"""Update the Simplified Chinese translation: extract, fill from the table below, compile.

Run from the repository root after changing any user-visible string::

    .venv/bin/python resources/translations/fill_zh_CN.py

That runs ``pyside6-lupdate`` over ``monitor/`` (it keeps existing translations and adds new
strings as unfinished), fills every message from :data:`ZH` (by source text, or by
``(context, source)`` in :data:`ZH_IN_CONTEXT` where one English word needs two Chinese ones), then
compiles the ``.qm`` with ``pyside6-lrelease``. It exits 1 and lists the strings that have no
Chinese yet: add them to :data:`ZH` and run it again. ``tests/ui/test_i18n_complete.py`` fails
while any string is missing or the ``.qm`` is stale.

``--fill-only FILE.ts`` only fills a ``.ts`` (no lupdate, no lrelease).
"""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

__all__ = ["LUPDATE_OPTIONS", "TS_PATH", "ZH", "ZH_IN_CONTEXT", "fill", "main", "qt_tool"]

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
TS_PATH = HERE / "monitor_zh_CN.ts"

#: lupdate options: Python files only; no line numbers (they would churn the .ts on every edit);
#: strings removed from the code are dropped rather than kept as "obsolete".
LUPDATE_OPTIONS = ("-extensions", "py", "-no-obsolete", "-locations", "none")

#: Translations that depend on the context (checked before :data:`ZH`).
ZH_IN_CONTEXT: dict[tuple[str, str], str] = {
    # None needed yet: e.g. ("TaskActions", "Cancel"): "取消任务" would override ZH["Cancel"] there only.
}

#: Source text -> Chinese. Vocabulary follows the Chinese design seeds (任务, 进度, 重连, 心跳,
#: 降级到轮询, 认证令牌, 转录...).
ZH: dict[str, str] = {
    # ConnectionIndicator
    "Connection state colour": "连接状态颜色",
    "Retry now": "立即重试",
    "Retry connecting now": "立即重连",
    "Settings": "设置",
    "Open connection settings": "打开连接设置",
    "Connection status": "连接状态",
    "Server: %1": "服务器：%1",
    "No events received yet": "尚未收到事件",
    "Last event %n s ago": "上次事件在 %n 秒前",
    "Attempt %n": "第 %n 次尝试",
    "Reason: %1": "原因：%1",
    "Data as of %1": "数据截至 %1",
    "Live": "实时",
    "Connecting…": "正在连接…",
    "Reconnecting in %n s": "%n 秒后重连",
    "Reconnecting…": "正在重连…",
    "Polling": "轮询中",
    "Authentication failed": "身份验证失败",
    "Not a Monitor server": "不是 Monitor 服务器",
    "Offline since %1": "自 %1 起离线",
    # MainWindow
    "Show details": "显示详情",
    "Pause / resume": "暂停 / 继续",
    "Cancel": "取消",
    "Retry": "重试",
    "Search": "搜索",
    "Resync with the server": "与服务器重新同步",
    "Quit": "退出",
    "No tasks yet": "暂无任务",
    "Actions": "操作",
    "Task counts": "任务数量",
    "&File": "文件(&F)",
    "&Settings…": "设置(&S)…",
    "&Quit": "退出(&Q)",
    "&View": "视图(&V)",
    "&Columns": "列(&C)",
    "&Detail pane": "详情面板(&D)",
    "&Help": "帮助(&H)",
    "Keyboard &shortcuts": "键盘快捷键(&S)",
    "&About Monitor": "关于 Monitor(&A)",
    "Keyboard shortcuts": "键盘快捷键",
    "About Monitor": "关于 Monitor",
    "Monitor %1\nWatch server tasks live.": "Monitor %1\n实时查看服务器任务。",
    "Monitor - %1": "Monitor - %1",
    # NotificationBanner
    "Notification": "通知",
    "Show": "显示",
    "Show the task": "显示该任务",
    "Dismiss": "关闭",
    "Dismiss notification": "关闭通知",
    # NotificationPolicy
    "Task completed": "任务已完成",
    "Task failed": "任务失败",
    "Task cancelled": "任务已取消",
    "{n} tasks completed": "{n} 个任务已完成",
    "{n} tasks failed": "{n} 个任务失败",
    "{n} tasks cancelled": "{n} 个任务已取消",
    " and {n} more": " 等另外 {n} 个",
    "Connection to the server lost": "与服务器的连接已断开",
    "Monitor keeps retrying in the background.": "Monitor 会在后台继续重试。",
    "Connection restored": "连接已恢复",
    "Live updates resumed.": "实时更新已恢复。",
    "All tasks done": "所有任务已完成",
    "Nothing is running any more.": "已没有正在运行的任务。",
    # SettingsDialog
    "Monitor settings": "Monitor 设置",
    "Server": "服务器",
    "Notifications": "通知",
    "Appearance": "外观",
    "Connection": "连接",
    "Server URL": "服务器地址",
    "Server &URL:": "服务器地址(&U)：",
    "Access token": "认证令牌",
    "&Token:": "令牌(&T)：",
    "Token environment variable": "令牌环境变量",
    "Token from &environment variable:": "从环境变量读取令牌(&E)：",
    "The token is stored in the system keyring.": "令牌保存在系统密钥环中。",
    "No keyring available": "没有可用的密钥环",
    "No system keyring is available, so the token cannot be stored here.": (
        "没有可用的系统密钥环，因此无法在此保存令牌。"
    ),
    (
        "Set the token in an environment variable and name it below, "
        "or install and unlock GNOME Keyring or KWallet."
    ): "请将令牌放入环境变量并在下方填写其名称，或安装并解锁 GNOME Keyring 或 KWallet。",
    "The keyring could not be read: %1": "无法读取密钥环：%1",
    "Stored in keyring (type to replace)": "已保存在密钥环中（输入以替换）",
    "Not set": "未设置",
    "A token is stored in the system keyring.": "系统密钥环中已保存令牌。",
    "The token will be stored in the system keyring.": "令牌将保存在系统密钥环中。",
    "Show &notifications": "显示通知(&N)",
    "Notify when": "在以下情况通知",
    "A task fails": "任务失败",
    "A task completes": "任务完成",
    "A task is cancelled": "任务被取消",
    "All tasks are done": "所有任务完成",
    "The connection is lost": "连接断开",
    "The connection is restored": "连接恢复",
    "No pop-ups while the Monitor window is active": "Monitor 窗口处于活动状态时不弹出通知",
    "Theme": "主题",
    "Follow the system": "跟随系统",
    "Light": "浅色",
    "Dark": "深色",
    "T&heme:": "主题(&H)：",
    "Language": "语言",
    "System language": "系统语言",
    "&Language (after restart):": "语言（重启后生效）(&L)：",
    "&Close to tray": "关闭时最小化到托盘(&C)",
    "&Minimise to tray": "最小化到托盘(&M)",
    "&Start minimised": "启动时最小化(&S)",
    "No system tray is available on this desktop": "此桌面没有可用的系统托盘",
    "&Reconnect automatically": "自动重连(&R)",
    "First retry after:": "首次重连间隔：",
    "Backoff factor": "指数退避系数",
    "Backoff factor:": "指数退避系数：",
    "Longest wait between retries:": "最大重连间隔：",
    "Give up after (0 = never):": "最大重连次数（0 = 不限）：",
    "Heartbeat interval:": "心跳间隔：",
    "Heartbeat timeout:": "心跳超时：",
    "Fall back to &polling": "降级到轮询(&P)",
    "Polling interval:": "轮询间隔：",
    " ms": " 毫秒",
    "Server URL: %1": "服务器地址：%1",
    "The environment variable name may hold only letters, digits and _": "环境变量名只能包含字母、数字和 _",
    # _TrayText / TrayController
    "%n running": "%n 个运行中",
    "%n queued": "%n 个排队中",
    "%n paused": "%n 个已暂停",
    "%n failed": "%n 个失败",
    ", ": "，",
    "Idle": "空闲",
    "Offline - %1": "离线 - %1",
    "Monitor tray menu": "Monitor 托盘菜单",
    "Hide window": "隐藏窗口",
    "Pause all": "全部暂停",
    "Resume all": "全部继续",
    "Do not disturb": "勿扰模式",
    "Only failures raise desktop notifications": "仅任务失败时弹出桌面通知",
    "Show window": "显示窗口",
    # StateSidebar
    "All": "全部",
    "Queued": "排队中",
    "Running": "运行中",
    "Paused": "已暂停",
    "Completed": "已完成",
    "Failed": "失败",
    "Cancelled": "已取消",
    "Task states": "任务状态",
    "{group}: {n} tasks": "{group}：{n} 个任务",
    # TaskTableModel
    "Cancelling": "正在取消",
    "estimating…": "估算中…",
    "paused": "已暂停",
    "> 1 day": "> 1 天",
    "Name": "名称",
    "Status": "状态",
    "Progress": "进度",
    "ETA": "剩余时间",
    "Elapsed": "已用时间",
    "Started": "开始时间",
    "Finished": "结束时间",
    "ID": "ID",
    "Worker": "执行节点",
    "Attempt": "尝试次数",
    "Error": "错误",
    "Kind": "类型",
    "Task name (audio file for transcriptions)": "任务名称（转录任务为音频文件名）",
    "Lifecycle state": "生命周期状态",
    "Percent done and current stage": "完成百分比与当前阶段",
    "Estimated time left (worker estimate, else smoothed from progress)": (
        "预计剩余时间（优先采用执行节点的估计，否则根据进度平滑推算）"
    ),
    "Run time so far": "已运行时长",
    "When the task started": "任务开始时间",
    "When the task finished": "任务结束时间",
    "Server task id": "服务器上的任务 ID",
    "Worker running the task": "运行该任务的执行节点",
    "Run number (1 = first run)": "第几次运行（1 = 首次运行）",
    "Why the task failed": "任务失败的原因",
    "Kind of job": "作业类型",
    "Offline: as of {time}": "离线：数据截至 {time}",
    "From before the server restarted": "服务器重启之前的数据",
    "%1: %2": "%1：%2",
    "{n} percent": "百分之 {n}",
    "{t} left": "剩余 {t}",
    # TaskActions
    "Pause": "暂停",
    "Resume": "继续",
    "Remove from list": "从列表中移除",
    "Only queued, running or paused tasks can be cancelled": "只能取消排队中、运行中或已暂停的任务",
    "Only running tasks can be paused": "只能暂停运行中的任务",
    "Only paused tasks can be resumed": "只能继续已暂停的任务",
    "Only failed or cancelled tasks can be retried": "只能重试失败或已取消的任务",
    "Only finished tasks can be removed from the list": "只能从列表中移除已结束的任务",
    "Refresh": "刷新",
    "Ask the server for the latest state (F5)": "向服务器获取最新状态（F5）",
    "Copy ID": "复制 ID",
    "Copy the selected task ids": "复制所选任务的 ID",
    "No task selected": "未选择任务",
    "{action} {n} of {m} selected": "{action}（已选 {m} 个中的 {n} 个）",
    # TaskDetail
    "State": "状态",
    "Stage": "阶段",
    "Created": "创建时间",
    "Copy": "复制",
    "Copy {field}": "复制{field}",
    "Timeline": "时间线",
    "Events": "事件",
    "Result": "结果",
    # TaskView
    "Search tasks": "搜索任务",
    "Search error": "搜索语法错误",
    "Clear filter": "清除筛选",
    "Show every task": "显示全部任务",
    "Tasks": "任务",
    "Showing {n} of {m}": "显示 {n} / {m}",
    # CommandService
    "Not connected to a server yet.": "尚未连接到服务器。",
    "Could not {0} {1}: {2}": "无法{0}任务 {1}：{2}",
    "execute": "执行",
    "cancel": "取消",
    "pause": "暂停",
    "resume": "继续",
    "query": "查询",
    "sync": "同步",
    "retry": "重试",
    # DesktopApp
    "Monitor hit an unexpected error. It keeps running; details:": (
        "Monitor 遇到意外错误，但仍在继续运行。详细信息："
    ),
    "Only queued or running tasks can be paused": "只有排队中或运行中的任务可以暂停",
    "Settings not saved: {0}": "设置未保存：{0}",
    # PendingAction (a command sent, not yet confirmed)
    "Pausing…": "正在暂停…",
    "Cancelling…": "正在取消…",
    "Resuming…": "正在继续…",
    "Retrying…": "正在重试…",
    # Connection profile editor (issue 10).
    "Connection profile: %1": "连接配置：%1",
    "&Stream URL:": "事件流地址(&S)：",
    "Stream URL": "事件流地址",
    "The server's event stream, used exactly as given (path and query). "
    "A URL without a path is a Monitor server: /api/tasks/stream is added.": (
        "服务器的事件流地址，按原样使用（路径和查询参数）。"
        "没有路径的地址视为 Monitor 服务器，自动加上 /api/tasks/stream。"
    ),
    "&API base:": "API 基础地址(&A)：",
    "API base": "API 基础地址",
    "Snapshot URL:": "快照地址：",
    "Snapshot URL": "快照地址",
    "Poll URL:": "轮询地址：",
    "Poll URL": "轮询地址",
    "Commands URL:": "命令地址：",
    "Commands URL": "命令地址",
    "Send the token in the URL &query too": "同时在地址查询参数中发送认证令牌(&Q)",
    "Send the token in the URL query": "在地址查询参数中发送认证令牌",
    "The token is always sent in the Authorization header; some servers read it only from the URL": (
        "认证令牌总是通过 Authorization 请求头发送；有些服务器只从地址中读取它"
    ),
    "Authentication:": "认证：",
    "Client id": "客户端 ID",
    "Client id:": "客户端 ID：",
    "Generated once for this installation and profile; servers address direct messages to it": (
        "每个安装和连接配置只生成一次；服务器按它发送定向消息"
    ),
    "Cop&y": "复制(&Y)",
    "Copy the client id": "复制客户端 ID",
    "Resume mode": "续传方式",
    "Automatic (header; add the query if the server replays)": "自动（请求头；服务器重放时加上查询参数）",
    "Last-Event-ID header only": "仅 Last-Event-ID 请求头",
    "Header and lastEventId query": "请求头和 lastEventId 查询参数",
    "&Resume after a reconnect:": "重连后续传(&R)：",
    "Server type": "服务器类型",
    "Server &type:": "服务器类型(&T)：",
    "Monitor server": "Monitor 服务器",
    "Notification SDK server (seed 004)": "通知 SDK 服务器（seed 004）",
    "SSE service backend (seed 000)": "SSE 服务后端（seed 000）",
    "Any SSE server": "任意 SSE 服务器",
    "Poll after failures": "失败后轮询",
    "&Poll after this many failed connections:": "连接失败多少次后降级到轮询(&P)：",
    "This server takes no commands ({reason})": "此服务器不接受命令（{reason}）",
    "Reconnect to rebuild the list: this server has no task snapshot ({reason}) (F5)": (
        "重连以重建列表：此服务器没有任务快照（{reason}）(F5)"
    ),
    # H14 act (issue 12): monitor/ui/confirm.py, monitor/wiring/commands.py
    "Cancelled '{name}'": "已取消“{name}”",
    "Cancelled {n} tasks": "已取消 {n} 个任务",
    "Paused '{name}'": "已暂停“{name}”",
    "Paused {n} tasks": "已暂停 {n} 个任务",
    "Resumed '{name}'": "已继续“{name}”",
    "Resumed {n} tasks": "已继续 {n} 个任务",
    "Retried '{name}'": "已重试“{name}”",
    "Retried {n} tasks": "已重试 {n} 个任务",
    "Cancel '{name}'?": "取消“{name}”？",
    "Cancel {n} tasks?": "取消 {n} 个任务？",
    "Pause '{name}'?": "暂停“{name}”？",
    "Pause {n} tasks?": "暂停 {n} 个任务？",
    "Resume '{name}'?": "继续“{name}”？",
    "Resume {n} tasks?": "继续 {n} 个任务？",
    "Retry '{name}'?": "重试“{name}”？",
    "Retry {n} tasks?": "重试 {n} 个任务？",
    "Don't ask again": "不再询问",
    "Monitor": "Monitor",  # the product name, the question's window title
    "Go back": "返回",
    "Undo": "撤销",
    "The work done so far is lost.": "已完成的工作将会丢失。",
    "Queued tasks are paused too, so nothing new starts until you resume.": "排队中的任务也会暂停，继续之前不会有新任务开始。",
    "Tasks beyond the server's running limit wait in the queue.": "超出服务器运行上限的任务将在队列中等待。",
    # MessagesPanel / MessageTableModel (seed-004 server messages)
    "Text": "文本",
    "JSON": "JSON",
    "System": "系统",
    "Broadcast": "广播",
    "Other": "其他",
    "Low": "低",
    "Normal": "普通",
    "High": "高",
    "Critical": "紧急",
    "You": "你",
    "Everyone": "所有人",
    "Type": "类型",
    "Priority": "优先级",
    "Time": "时间",
    "From": "来源",
    "To": "接收者",
    "Message": "消息",
    "Server messages": "服务器消息",
    "Show messages of type": "显示此类型的消息",
    "All types": "所有类型",
    "Mark all read": "全部标为已读",
    "Message text": "消息内容",
    "Type:": "类型：",
    "Messages ({0})": "消息（{0}）",
    "Messages": "消息",
    "&Messages": "消息(&M)",
    "{0} unread": "{0} 条未读",
    # NotificationPolicy: server messages
    "System message from {name}": "来自 {name} 的系统消息",
    "Error message from {name}": "来自 {name} 的错误消息",
    "Urgent message from {name}": "来自 {name} 的紧急消息",
    "the server": "服务器",
    "{n} system messages": "{n} 条系统消息",
    "{n} error messages": "{n} 条错误消息",
    "{n} urgent messages": "{n} 条紧急消息",
    # SettingsDialog: message notifications
    "The server sends a system message": "服务器发来系统消息",
    "The server sends an error message": "服务器发来错误消息",
    "The server sends an urgent (critical) message": "服务器发来紧急消息",
    # H13 table (issue 12): deferred re-sorts, the detail pane's selection states, offline marks,
    # the table's empty states.
    "Sort order": "排序状态",
    "Sorting paused while a menu is open (sorted as of {time})": "菜单打开时暂停排序（排序截至 {time}）",
    "Sorting paused while the pointer is over the table (sorted as of {time})": (
        "鼠标位于表格上时暂停排序（排序截至 {time}）"
    ),
    "Selection summary": "所选任务摘要",
    "{n} tasks selected: {states}": "已选 {n} 个任务：{states}",
    "Average progress: {p}%": "平均进度：{p}%",
    "Offline: data as of {time}": "离线：数据截至 {time}",
    "Showing {n} of {m}, offline: as of {time}": "显示 {n} / {m}，离线：数据截至 {time}",
    "No tasks match the filter": "没有符合筛选条件的任务",
    "Waiting for the server…": "正在等待服务器…",
    # H15 calm (issue 12): banner words by cause, stale marks, window title, toolbar, tray
    "Connection lost, reconnecting…": "连接已断开，正在重连…",
    "Cannot reach the server at {name}": "无法连接到服务器 {name}",
    "{name} refused the access token. Check it in Settings.": "{name} 拒绝了认证令牌，请在设置中检查。",
    "{name} serves no task event stream.": "{name} 没有提供任务事件流。",
    "Offline": "离线",
    "%1 · as of %2": "%1 · 截至 %2",
    "Monitor — %1": "Monitor — %1",
    "+%n more": "另有 %n 条",
    "Next": "下一条",
    "Settings…": "设置…",
    # H20 detail (issue 12): readable detail tabs, a session-only token, plain-language reasons
    "Updated": "更新时间",
    "{stage} (when it stopped)": "{stage}（停止时）",
    "Task created": "任务已创建",
    "Task updated": "任务已更新",
    "Task list refreshed": "任务列表已刷新",
    "Update": "更新",
    "Ignored: older news about a finished task": "已忽略：关于已结束任务的过时消息",
    "Ignored: older than what is shown": "已忽略：比当前显示的更旧",
    "{event}: {fields} changed": "{event}：{fields} 已变化",
    "The token environment variable {0} is not set.": "令牌环境变量 {0} 未设置。",
    "%1 is not set in Monitor's environment, so no token comes from it.": (
        "Monitor 的环境中没有设置 %1，因此无法从中读取令牌。"
    ),
    "Kept for this session (type to replace)": "仅在本次会话中保留（输入以替换）",
    "A token is kept in memory for this session only; it is not saved.": (
        "令牌仅在本次会话的内存中保留，不会保存。"
    ),
    "No system keyring: a token typed here is kept in memory for this session only.": (
        "没有系统密钥环：在此输入的令牌仅在本次会话的内存中保留。"
    ),
    "To keep it across restarts, set it in an environment variable and name it below, "
    "or install and unlock GNOME Keyring or KWallet.": (
        "如需在重启后保留，请将其设置在环境变量中并在下方填写变量名，或安装并解锁 GNOME Keyring 或 KWallet。"
    ),
    # H20 detail: monitor/core/reasons.py (context "Reasons")
    "Cannot connect to {server} (no answer in time)": "无法连接到 {server}（无响应）",
    "Cannot connect to {server} (its certificate is not trusted)": "无法连接到 {server}（其证书不受信任）",
    "Cannot connect to {server} (server name not found)": "无法连接到 {server}（找不到服务器名称）",
    "Cannot connect to {server} (connection refused)": "无法连接到 {server}（连接被拒绝）",
    "Cannot connect to {server}": "无法连接到 {server}",
    "{server} stopped answering": "{server} 停止了响应",
    "The connection to {server} broke off": "与 {server} 的连接中断",
    "Network error talking to {server}": "与 {server} 通信时出现网络错误",
    "The server answered {status}: {message}": "服务器返回 {status}：{message}",
    "The server answered {status}": "服务器返回 {status}",
    "Gave up after {n} attempts: {reason}": "尝试 {n} 次后放弃：{reason}",
    "Polling for updates ({reason})": "正在轮询更新（{reason}）",
    "The server refused the access token ({status})": "服务器拒绝了认证令牌（{status}）",
    "The server answered {status}: this address serves no task event stream": (
        "服务器返回 {status}：此地址没有提供任务事件流"
    ),
    "This address answered with {type}, not a task event stream": "此地址返回的是 {type}，而不是任务事件流",
    "{server} accepted the connection but did not answer within {s} s": (
        "{server} 接受了连接，但在 {s} 秒内没有响应"
    ),
    "No data from {server} for {s} s": "{s} 秒内没有收到 {server} 的数据",
    "The server asked Monitor to stop connecting": "服务器要求 Monitor 停止连接",
    "This address redirects in a loop": "此地址存在循环重定向",
    "Disconnected": "已断开",
    "Connecting": "正在连接",
    "Connected": "已连接",
    "Polling for updates": "正在轮询更新",
    # H19 words (issue 12): search placeholder, shortcut help, Enter/double-click, durations.
    # "Active" (queued, running, paused or cancelling: every task not yet over) was 进行中, which
    # reads as a synonym of 运行中 (Running). 未结束 ("not over yet") is what it means and is
    # distinct from 运行中; 活动 (qBittorrent's word) would wrongly suggest paused tasks move, and
    # 未完成 would take in failed ones (已完成 is Completed).
    "Active": "未结束",
    "Search: text, state:failed, worker:demo-gpu-0, -name:podcast": (
        "搜索：文本、state:failed、worker:demo-gpu-0、-name:podcast"
    ),
    "Clear the search": "清除搜索",
    "Select all": "全选",
    # Durations (ETA, Elapsed, screen readers): no spaces between Chinese units, as a clock app
    # or a video site writes them; minutes and seconds keep two digits so the column does not jitter.
    "{s}s": "{s}秒",
    "{m}m {s:02d}s": "{m}分{s:02d}秒",
    "{h}h {m:02d}m": "{h}小时{m:02d}分",
    "{d}d {h}h": "{d}天{h}小时",
    # lead: the summary with nothing listed
    "No tasks": "没有任务",
    # lead: search syntax errors (monitor.core.query templates, translated in the task view)
    "Missing closing quote for the quote at {at}": "第 {at} 个字符处的引号没有闭合",
    "Unknown filter '{name}:' (use {known} or put the text in quotes)": "未知的筛选条件“{name}:”（可用 {known}，或把文字放在引号中）",
    "'{name}:' needs a value": "“{name}:”需要一个值",
    "Unknown state '{name}' (use one of {known})": "未知的状态“{name}”（可用 {known}）",
    # lead (issue 15): notification buttons, the notification history
    "Open result": "打开结果",
    "The result %1 is not on this computer.": "结果 %1 不在这台电脑上。",
    "Notification &history…": "通知历史(&H)…",
    "Notification history": "通知历史",
    "No notifications yet in this session.": "本次运行还没有通知。",
    "Shown as": "显示方式",
    "What happened": "结果",
    "Desktop notification": "桌面通知",
    "Tray message": "托盘消息",
    "In the window": "窗口内",
    "Not clicked": "未点击",
    "Clicked": "已点击",
    "Retried": "已重试",
    "Result opened": "已打开结果",
    "Finished tasks per minute": "每分钟结束的任务",
    "Last {m} min: {c} completed, {f} failed; this minute: {n}": "最近 {m} 分钟：{c} 个完成，{f} 个失败；本分钟：{n}",
    "Progress over time": "进度随时间变化",
    "No progress reported yet": "尚未报告进度",
    "&Export view…": "导出列表(&E)…",
    "Export the listed tasks": "导出列出的任务",
    "Could not export to %1: %2": "无法导出到 %1：%2",
    "Exported %n task(s) to %1": "已导出 %n 个任务到 %1",
    # lead (issue 15): local history
    " days": " 天",
    "Off": "关闭",
    "Keep finished tasks on this computer": "在这台电脑上保留已结束的任务",
    "Finished tasks are kept on this computer, across restarts and after the server forgets them. Off keeps nothing. Takes effect at the next start.": "已结束的任务保留在这台电脑上，重启后以及服务器忘记它们之后仍然保留。“关闭”则不保留。下次启动时生效。",
    "Keep finished tasks &for:": "已结束任务保留(&F)：",
    "C&lear finished tasks…": "清除已结束的任务(&L)…",
    "No finished tasks to clear.": "没有可清除的已结束任务。",
    "Remove %n finished task(s) from the list and from this computer's history?": "要从列表和这台电脑的历史中移除 %n 个已结束的任务吗？",
    "Clear finished tasks": "清除已结束的任务",
    "Clear": "清除",
    # H32 audit12 (issue 12): the way back from "Don't ask again" (Settings > Appearance)
    "Ask first": "先询问",
    "Before cancelling tasks": "取消任务之前",
    "Before acting on several tasks (and Pause all / Resume all)": "对多个任务操作之前（以及全部暂停/全部继续）",
    # H30 speed-core (issue 13 item 6): the task limit, its setting and the eviction notice
    "Tasks kept in the list": "列表中保留的任务数",
    "Past this number the oldest finished tasks leave the list; active tasks always stay.": (
        "超过此数量时，最早结束的任务将移出列表；进行中的任务始终保留。"
    ),
    "Tasks &kept in the list:": "列表中保留的任务数(&K)：",
    "Over the limit of {limit} tasks: %n oldest finished removed (Settings > Appearance)": (
        "超过 {limit} 个任务的上限：已移除最早结束的 %n 个任务（设置 > 外观）"
    ),
    # H25 text (issue 13 item 7): the detail tab with a long name and stage in full
    "Full text": "全文",
    # H33 (issue 15 item 2): several servers at once ("Server" and "%1: %2" are translated above)
    "The server the task runs on (its connection profile)": "任务所在的服务器（其连接配置）",
    "Servers": "服务器",
    "Servers:": "服务器：",
    "Server {name}: {n} tasks": "服务器 {name}：{n} 个任务",
    "Not connected to the server of these tasks.": "尚未连接到这些任务所在的服务器。",
    "Also watch these servers": "同时监视这些服务器",
    "Name of the server to add": "要添加的服务器名称",
    "Address of the server to add": "要添加的服务器地址",
    "Add server": "添加服务器",
    "Add this server and watch it too": "添加此服务器并一并监视",
    "Watch %1 too": "同时监视 %1",
    "Give the server a name.": "请为服务器命名。",
    "There is already a server named %1.": "已有名为 %1 的服务器。",
}


def qt_tool(name: str) -> Path:
    """Path of a PySide6 tool (``pyside6-lupdate``...) next to the running interpreter."""
    return Path(sys.executable).with_name(name)


def fill(path: Path) -> list[str]:
    """Fill the translations of a ``.ts`` file in place.

    Args:
        path: The ``.ts`` file (as written by lupdate).

    Returns:
        ``context: source`` of every message left without a translation.
    """
    tree = ET.parse(path)
    missing: list[str] = []
    for context in tree.getroot().iter("context"):
        name = context.findtext("name") or ""
        for message in context.iter("message"):
            source = message.findtext("source") or ""
            tr = message.find("translation")
            if tr is None:
                tr = ET.SubElement(message, "translation")
            text = ZH_IN_CONTEXT.get((name, source), ZH.get(source))
            if text is None:
                missing.append(f"{name}: {source}")
                continue
            tr.attrib.pop("type", None)
            if message.get("numerus") == "yes":
                for child in list(tr):
                    tr.remove(child)
                ET.SubElement(tr, "numerusform").text = text  # Chinese has one plural form
            else:
                tr.text = text
    ET.indent(tree, space="    ")
    tree.write(path, encoding="utf-8", xml_declaration=True)
    return missing


def main(argv: list[str]) -> int:
    """Command line entry (see the module docstring)."""
    if argv[:1] == ["--fill-only"]:
        missing = fill(Path(argv[1]) if len(argv) > 1 else TS_PATH)
    else:
        subprocess.run(
            [str(qt_tool("pyside6-lupdate")), *LUPDATE_OPTIONS, "monitor", "-ts", str(TS_PATH)],
            cwd=ROOT,
            check=True,
        )
        missing = fill(TS_PATH)
        subprocess.run([str(qt_tool("pyside6-lrelease")), str(TS_PATH)], cwd=ROOT, check=True)
    for item in missing:
        sys.stdout.write(f"untranslated: {item!r}\n")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

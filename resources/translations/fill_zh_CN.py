"""Fill monitor_zh_CN.ts with the Simplified Chinese translations kept here.

Run after ``pyside6-lupdate`` (which keeps existing translations but adds new empty ones)::

    .venv/bin/pyside6-lupdate monitor/ui/*.py -ts resources/translations/monitor_zh_CN.ts
    .venv/bin/python resources/translations/fill_zh_CN.py
    .venv/bin/pyside6-lrelease resources/translations/monitor_zh_CN.ts

Strings without an entry stay "unfinished" (Qt then shows the English source) and are listed.
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path

ZH: dict[str, str] = {
    # ConnectionIndicator
    "Connection state colour": "连接状态颜色",
    "Retry now": "立即重试",
    "Retry connecting now": "立即重新连接",
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
    "Reconnecting in %n s": "%n 秒后重新连接",
    "Reconnecting…": "正在重新连接…",
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
    "Access token": "访问令牌",
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
    "&Reconnect automatically": "自动重新连接(&R)",
    "First retry after:": "首次重试间隔：",
    "Backoff factor": "退避系数",
    "Backoff factor:": "退避系数：",
    "Longest wait between retries:": "最长重试间隔：",
    "Give up after (0 = never):": "最多重试次数（0 = 不限）：",
    "Heartbeat interval:": "心跳间隔：",
    "Heartbeat timeout:": "心跳超时：",
    "Fall back to &polling": "降级为轮询(&P)",
    "Polling interval:": "轮询间隔：",
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
}


def main(path: str) -> int:
    tree = ET.parse(path)
    missing: list[str] = []
    for message in tree.getroot().iter("message"):
        source = message.findtext("source") or ""
        tr = message.find("translation")
        assert tr is not None
        text = ZH.get(source)
        if text is None:
            missing.append(source)
            continue
        tr.attrib.pop("type", None)
        if message.get("numerus") == "yes":
            for child in list(tr):
                tr.remove(child)
            ET.SubElement(tr, "numerusform").text = text  # Chinese has one plural form
        else:
            tr.text = text
    tree.write(path, encoding="utf-8", xml_declaration=True)
    for source in missing:
        sys.stdout.write(f"untranslated: {source!r}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else str(Path(__file__).with_name("monitor_zh_CN.ts"))))

<?xml version='1.0' encoding='utf-8'?>
<TS version="2.1" language="zh_CN">
    <context>
        <name />
        <message>
            <source>Task completed</source>
            <extracomment>Names listed in a grouped notice's body before "and N more". Items a pending group keeps (task ids for the click; later ones are only counted). Message ids remembered so that a resent message does not notify twice. Longest message text in a notice body (characters). System events that are the connection's own business (its notices cover them). Causes that end the retries: learnt while already offline, they replace the loss notice.</extracomment>
            <translation>任务已完成</translation>
        </message>
        <message>
            <source>Task failed</source>
            <translation>任务失败</translation>
        </message>
        <message>
            <source>Task cancelled</source>
            <translation>任务已取消</translation>
        </message>
        <message>
            <source>{n} tasks completed</source>
            <translation>{n} 个任务已完成</translation>
        </message>
        <message>
            <source>{n} tasks failed</source>
            <translation>{n} 个任务失败</translation>
        </message>
        <message>
            <source>{n} tasks cancelled</source>
            <translation>{n} 个任务已取消</translation>
        </message>
        <message>
            <source> and {n} more</source>
            <translation> 等另外 {n} 个</translation>
        </message>
        <message>
            <source>Monitor keeps retrying in the background.</source>
            <translation>Monitor 会在后台继续重试。</translation>
        </message>
        <message>
            <source>Connection restored</source>
            <translation>连接已恢复</translation>
        </message>
        <message>
            <source>Live updates resumed.</source>
            <translation>实时更新已恢复。</translation>
        </message>
        <message>
            <source>All tasks done</source>
            <translation>所有任务已完成</translation>
        </message>
        <message>
            <source>Nothing is running any more.</source>
            <translation>已没有正在运行的任务。</translation>
        </message>
        <message>
            <source>Authentication failed</source>
            <translation>身份验证失败</translation>
        </message>
        <message>
            <source>{name} refused the access token. Check it in Settings.</source>
            <translation>{name} 拒绝了认证令牌，请在设置中检查。</translation>
        </message>
        <message>
            <source>Not a Monitor server</source>
            <translation>不是 Monitor 服务器</translation>
        </message>
        <message>
            <source>{name} serves no task event stream.</source>
            <translation>{name} 没有提供任务事件流。</translation>
        </message>
        <message>
            <source>Cannot reach the server at {name}</source>
            <translation>无法连接到服务器 {name}</translation>
        </message>
        <message>
            <source>Connection lost, reconnecting…</source>
            <translation>连接已断开，正在重连…</translation>
        </message>
        <message>
            <source>System message from {name}</source>
            <translation>来自 {name} 的系统消息</translation>
        </message>
        <message>
            <source>Error message from {name}</source>
            <translation>来自 {name} 的错误消息</translation>
        </message>
        <message>
            <source>Urgent message from {name}</source>
            <translation>来自 {name} 的紧急消息</translation>
        </message>
        <message>
            <source>the server</source>
            <translation>服务器</translation>
        </message>
        <message>
            <source>{n} system messages</source>
            <translation>{n} 条系统消息</translation>
        </message>
        <message>
            <source>{n} error messages</source>
            <translation>{n} 条错误消息</translation>
        </message>
        <message>
            <source>{n} urgent messages</source>
            <translation>{n} 条紧急消息</translation>
        </message>
        <message>
            <source>Cannot connect to {server} (no answer in time)</source>
            <extracomment>A server's message is cut to this many characters (a reason is one line, not a page).</extracomment>
            <translation>无法连接到 {server}（无响应）</translation>
        </message>
        <message>
            <source>Cannot connect to {server} (its certificate is not trusted)</source>
            <translation>无法连接到 {server}（其证书不受信任）</translation>
        </message>
        <message>
            <source>Cannot connect to {server} (server name not found)</source>
            <translation>无法连接到 {server}（找不到服务器名称）</translation>
        </message>
        <message>
            <source>Cannot connect to {server} (connection refused)</source>
            <translation>无法连接到 {server}（连接被拒绝）</translation>
        </message>
        <message>
            <source>Cannot connect to {server}</source>
            <translation>无法连接到 {server}</translation>
        </message>
        <message>
            <source>{server} stopped answering</source>
            <translation>{server} 停止了响应</translation>
        </message>
        <message>
            <source>The connection to {server} broke off</source>
            <translation>与 {server} 的连接中断</translation>
        </message>
        <message>
            <source>Network error talking to {server}</source>
            <translation>与 {server} 通信时出现网络错误</translation>
        </message>
        <message>
            <source>The server answered {status}: {message}</source>
            <translation>服务器返回 {status}：{message}</translation>
        </message>
        <message>
            <source>The server answered {status}</source>
            <translation>服务器返回 {status}</translation>
        </message>
        <message>
            <source>Gave up after {n} attempts: {reason}</source>
            <translation>尝试 {n} 次后放弃：{reason}</translation>
        </message>
        <message>
            <source>Polling for updates ({reason})</source>
            <translation>正在轮询更新（{reason}）</translation>
        </message>
        <message>
            <source>The server refused the access token ({status})</source>
            <translation>服务器拒绝了认证令牌（{status}）</translation>
        </message>
        <message>
            <source>The server answered {status}: this address serves no task event stream</source>
            <translation>服务器返回 {status}：此地址没有提供任务事件流</translation>
        </message>
        <message>
            <source>This address answered with {type}, not a task event stream</source>
            <translation>此地址返回的是 {type}，而不是任务事件流</translation>
        </message>
        <message>
            <source>{server} accepted the connection but did not answer within {s} s</source>
            <translation>{server} 接受了连接，但在 {s} 秒内没有响应</translation>
        </message>
        <message>
            <source>No data from {server} for {s} s</source>
            <translation>{s} 秒内没有收到 {server} 的数据</translation>
        </message>
        <message>
            <source>The server asked Monitor to stop connecting</source>
            <translation>服务器要求 Monitor 停止连接</translation>
        </message>
        <message>
            <source>This address redirects in a loop</source>
            <translation>此地址存在循环重定向</translation>
        </message>
    </context>
    <context>
        <name>CommandService</name>
        <message>
            <source>Not connected to a server yet.</source>
            <translation>尚未连接到服务器。</translation>
        </message>
        <message>
            <source>execute</source>
            <translation>执行</translation>
        </message>
        <message>
            <source>cancel</source>
            <translation>取消</translation>
        </message>
        <message>
            <source>pause</source>
            <translation>暂停</translation>
        </message>
        <message>
            <source>resume</source>
            <translation>继续</translation>
        </message>
        <message>
            <source>query</source>
            <translation>查询</translation>
        </message>
        <message>
            <source>sync</source>
            <translation>同步</translation>
        </message>
        <message>
            <source>retry</source>
            <translation>重试</translation>
        </message>
        <message>
            <source>Could not {0} {1}: {2}</source>
            <translation>无法{0}任务 {1}：{2}</translation>
        </message>
    </context>
    <context>
        <name>Confirm</name>
        <message>
            <source>Cancelled '{name}'</source>
            <extracomment>How long Undo stays offered. Task names longer than this are shortened in questions and offers (a name is one line).</extracomment>
            <translation>已取消“{name}”</translation>
        </message>
        <message>
            <source>Cancelled {n} tasks</source>
            <translation>已取消 {n} 个任务</translation>
        </message>
        <message>
            <source>Paused '{name}'</source>
            <translation>已暂停“{name}”</translation>
        </message>
        <message>
            <source>Paused {n} tasks</source>
            <translation>已暂停 {n} 个任务</translation>
        </message>
        <message>
            <source>Resumed '{name}'</source>
            <translation>已继续“{name}”</translation>
        </message>
        <message>
            <source>Resumed {n} tasks</source>
            <translation>已继续 {n} 个任务</translation>
        </message>
        <message>
            <source>Retried '{name}'</source>
            <translation>已重试“{name}”</translation>
        </message>
        <message>
            <source>Retried {n} tasks</source>
            <translation>已重试 {n} 个任务</translation>
        </message>
        <message>
            <source>Cancel '{name}'?</source>
            <translation>取消“{name}”？</translation>
        </message>
        <message>
            <source>Cancel {n} tasks?</source>
            <translation>取消 {n} 个任务？</translation>
        </message>
        <message>
            <source>Pause '{name}'?</source>
            <translation>暂停“{name}”？</translation>
        </message>
        <message>
            <source>Pause {n} tasks?</source>
            <translation>暂停 {n} 个任务？</translation>
        </message>
        <message>
            <source>Resume '{name}'?</source>
            <translation>继续“{name}”？</translation>
        </message>
        <message>
            <source>Resume {n} tasks?</source>
            <translation>继续 {n} 个任务？</translation>
        </message>
        <message>
            <source>Retry '{name}'?</source>
            <translation>重试“{name}”？</translation>
        </message>
        <message>
            <source>Retry {n} tasks?</source>
            <translation>重试 {n} 个任务？</translation>
        </message>
        <message>
            <source>Monitor</source>
            <translation>Monitor</translation>
        </message>
        <message>
            <source>Don't ask again</source>
            <translation>不再询问</translation>
        </message>
        <message>
            <source>Go back</source>
            <translation>返回</translation>
        </message>
        <message>
            <source>Undo</source>
            <translation>撤销</translation>
        </message>
        <message>
            <source>The work done so far is lost.</source>
            <translation>已完成的工作将会丢失。</translation>
        </message>
        <message>
            <source>Queued tasks are paused too, so nothing new starts until you resume.</source>
            <translation>排队中的任务也会暂停，继续之前不会有新任务开始。</translation>
        </message>
        <message>
            <source>Tasks beyond the server's running limit wait in the queue.</source>
            <translation>超出服务器运行上限的任务将在队列中等待。</translation>
        </message>
    </context>
    <context>
        <name>ConnectionIndicator</name>
        <message>
            <source>Connection state colour</source>
            <translation>连接状态颜色</translation>
        </message>
        <message>
            <source>Retry now</source>
            <translation>立即重试</translation>
        </message>
        <message>
            <source>Retry connecting now</source>
            <translation>立即重连</translation>
        </message>
        <message>
            <source>Settings</source>
            <translation>设置</translation>
        </message>
        <message>
            <source>Open connection settings</source>
            <translation>打开连接设置</translation>
        </message>
        <message>
            <source>Connection status</source>
            <translation>连接状态</translation>
        </message>
        <message>
            <source>%1: %2</source>
            <translation>%1：%2</translation>
        </message>
        <message>
            <source>Servers:</source>
            <translation>服务器：</translation>
        </message>
        <message>
            <source>Server: %1</source>
            <translation>服务器：%1</translation>
        </message>
        <message>
            <source>No events received yet</source>
            <translation>尚未收到事件</translation>
        </message>
        <message numerus="yes">
            <source>Last event %n s ago</source>
            <translation>
                <numerusform>上次事件在 %n 秒前</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <source>Attempt %n</source>
            <translation>
                <numerusform>第 %n 次尝试</numerusform>
            </translation>
        </message>
        <message>
            <source>Reason: %1</source>
            <translation>原因：%1</translation>
        </message>
        <message>
            <source>Data as of %1</source>
            <translation>数据截至 %1</translation>
        </message>
        <message>
            <source>Live</source>
            <translation>实时</translation>
        </message>
        <message>
            <source>Connecting…</source>
            <translation>正在连接…</translation>
        </message>
        <message numerus="yes">
            <source>Reconnecting in %n s</source>
            <translation>
                <numerusform>%n 秒后重连</numerusform>
            </translation>
        </message>
        <message>
            <source>Reconnecting…</source>
            <translation>正在重连…</translation>
        </message>
        <message>
            <source>Polling</source>
            <translation>轮询中</translation>
        </message>
        <message>
            <source>Authentication failed</source>
            <translation>身份验证失败</translation>
        </message>
        <message>
            <source>Not a Monitor server</source>
            <translation>不是 Monitor 服务器</translation>
        </message>
        <message>
            <source>Offline</source>
            <translation>离线</translation>
        </message>
        <message>
            <source>Offline since %1</source>
            <translation>自 %1 起离线</translation>
        </message>
        <message>
            <source>%1 · as of %2</source>
            <translation>%1 · 截至 %2</translation>
        </message>
    </context>
    <context>
        <name>DesktopApp</name>
        <message>
            <source>Monitor hit an unexpected error. It keeps running; details:</source>
            <translation>Monitor 遇到意外错误，但仍在继续运行。详细信息：</translation>
        </message>
        <message>
            <source>The token environment variable {0} is not set.</source>
            <translation>令牌环境变量 {0} 未设置。</translation>
        </message>
        <message>
            <source>Settings not saved: {0}</source>
            <translation>设置未保存：{0}</translation>
        </message>
        <message>
            <source>Over the limit of {limit} tasks: %n oldest finished removed (Settings &gt; Appearance)</source>
            <extracomment>Snapshots at least this large move the heap out of the GC's reach afterwards.</extracomment>
            <translation>超过 {limit} 个任务的上限：已移除最早结束的 %n 个任务（设置 &gt; 外观）</translation>
        </message>
    </context>
    <context>
        <name>Duration</name>
        <message>
            <source>{s}s</source>
            <extracomment>Locales with a shipped translation (besides the English source).</extracomment>
            <translation>{s}秒</translation>
        </message>
        <message>
            <source>{m}m {s:02d}s</source>
            <translation>{m}分{s:02d}秒</translation>
        </message>
        <message>
            <source>{h}h {m:02d}m</source>
            <translation>{h}小时{m:02d}分</translation>
        </message>
        <message>
            <source>{d}d {h}h</source>
            <translation>{d}天{h}小时</translation>
        </message>
    </context>
    <context>
        <name>Export</name>
        <message>
            <source>Exported %n task(s) to %1</source>
            <translation>已导出 %n 个任务到 %1</translation>
        </message>
    </context>
    <context>
        <name>MainWindow</name>
        <message>
            <source>No tasks yet</source>
            <translation>暂无任务</translation>
        </message>
        <message>
            <source>Actions</source>
            <translation>操作</translation>
        </message>
        <message>
            <source>Task counts</source>
            <translation>任务数量</translation>
        </message>
        <message>
            <source>&amp;File</source>
            <translation>文件(&amp;F)</translation>
        </message>
        <message>
            <source>&amp;Settings…</source>
            <translation>设置(&amp;S)…</translation>
        </message>
        <message>
            <source>&amp;Quit</source>
            <translation>退出(&amp;Q)</translation>
        </message>
        <message>
            <source>&amp;View</source>
            <translation>视图(&amp;V)</translation>
        </message>
        <message>
            <source>&amp;Columns</source>
            <translation>列(&amp;C)</translation>
        </message>
        <message>
            <source>&amp;Detail pane</source>
            <translation>详情面板(&amp;D)</translation>
        </message>
        <message>
            <source>&amp;Help</source>
            <translation>帮助(&amp;H)</translation>
        </message>
        <message>
            <source>Keyboard &amp;shortcuts</source>
            <translation>键盘快捷键(&amp;S)</translation>
        </message>
        <message>
            <source>&amp;About Monitor</source>
            <translation>关于 Monitor(&amp;A)</translation>
        </message>
        <message>
            <source>Keyboard shortcuts</source>
            <translation>键盘快捷键</translation>
        </message>
        <message>
            <source>About Monitor</source>
            <translation>关于 Monitor</translation>
        </message>
        <message>
            <source>Monitor %1
Watch server tasks live.</source>
            <translation>Monitor %1
实时查看服务器任务。</translation>
        </message>
        <message>
            <source>Monitor — %1</source>
            <extracomment>The servers' counts are recounted at most this often (a walk over every task id).</extracomment>
            <translation>Monitor — %1</translation>
        </message>
        <message>
            <source>%1 · as of %2</source>
            <translation>%1 · 截至 %2</translation>
        </message>
        <message>
            <source>&amp;Messages</source>
            <translation>消息(&amp;M)</translation>
        </message>
        <message>
            <source>Notification &amp;history…</source>
            <translation>通知历史(&amp;H)…</translation>
        </message>
    </context>
    <context>
        <name>MessageTableModel</name>
        <message>
            <source>Text</source>
            <translation>文本</translation>
        </message>
        <message>
            <source>JSON</source>
            <translation>JSON</translation>
        </message>
        <message>
            <source>System</source>
            <translation>系统</translation>
        </message>
        <message>
            <source>Error</source>
            <translation>错误</translation>
        </message>
        <message>
            <source>Broadcast</source>
            <translation>广播</translation>
        </message>
        <message>
            <source>Other</source>
            <translation>其他</translation>
        </message>
        <message>
            <source>Low</source>
            <translation>低</translation>
        </message>
        <message>
            <source>Normal</source>
            <translation>普通</translation>
        </message>
        <message>
            <source>High</source>
            <translation>高</translation>
        </message>
        <message>
            <source>Critical</source>
            <translation>紧急</translation>
        </message>
        <message>
            <source>You</source>
            <translation>你</translation>
        </message>
        <message>
            <source>Everyone</source>
            <translation>所有人</translation>
        </message>
        <message>
            <source>Type</source>
            <translation>类型</translation>
        </message>
        <message>
            <source>Priority</source>
            <translation>优先级</translation>
        </message>
        <message>
            <source>Time</source>
            <translation>时间</translation>
        </message>
        <message>
            <source>From</source>
            <translation>来源</translation>
        </message>
        <message>
            <source>To</source>
            <translation>接收者</translation>
        </message>
        <message>
            <source>Message</source>
            <translation>消息</translation>
        </message>
    </context>
    <context>
        <name>MessagesPanel</name>
        <message>
            <source>Server messages</source>
            <translation>服务器消息</translation>
        </message>
        <message>
            <source>Show messages of type</source>
            <translation>显示此类型的消息</translation>
        </message>
        <message>
            <source>All types</source>
            <translation>所有类型</translation>
        </message>
        <message>
            <source>Mark all read</source>
            <translation>全部标为已读</translation>
        </message>
        <message>
            <source>Message text</source>
            <translation>消息内容</translation>
        </message>
        <message>
            <source>Type:</source>
            <translation>类型：</translation>
        </message>
        <message>
            <source>Messages ({0})</source>
            <translation>消息（{0}）</translation>
        </message>
        <message>
            <source>Messages</source>
            <translation>消息</translation>
        </message>
        <message>
            <source>{0} unread</source>
            <translation>{0} 条未读</translation>
        </message>
    </context>
    <context>
        <name>NotificationBanner</name>
        <message>
            <source>Notification</source>
            <extracomment>Notices the banner keeps (older ones are dropped: memory stays bounded). The hue a failure banner is tinted with (mixed into the palette's base colour). WCAG AA for normal text.</extracomment>
            <translation>通知</translation>
        </message>
        <message>
            <source>Show</source>
            <translation>显示</translation>
        </message>
        <message>
            <source>Show the task</source>
            <translation>显示该任务</translation>
        </message>
        <message>
            <source>Dismiss</source>
            <translation>关闭</translation>
        </message>
        <message>
            <source>Dismiss notification</source>
            <translation>关闭通知</translation>
        </message>
        <message numerus="yes">
            <source>+%n more</source>
            <translation>
                <numerusform>另有 %n 条</numerusform>
            </translation>
        </message>
        <message>
            <source>Next</source>
            <translation>下一条</translation>
        </message>
    </context>
    <context>
        <name>NotificationHistory</name>
        <message>
            <source>Desktop notification</source>
            <translation>桌面通知</translation>
        </message>
        <message>
            <source>Tray message</source>
            <translation>托盘消息</translation>
        </message>
        <message>
            <source>In the window</source>
            <translation>窗口内</translation>
        </message>
        <message>
            <source>Not clicked</source>
            <translation>未点击</translation>
        </message>
        <message>
            <source>Clicked</source>
            <translation>已点击</translation>
        </message>
        <message>
            <source>Retried</source>
            <translation>已重试</translation>
        </message>
        <message>
            <source>Result opened</source>
            <translation>已打开结果</translation>
        </message>
    </context>
    <context>
        <name>NotificationHistoryDialog</name>
        <message>
            <source>Notification history</source>
            <translation>通知历史</translation>
        </message>
        <message>
            <source>No notifications yet in this session.</source>
            <translation>本次运行还没有通知。</translation>
        </message>
        <message>
            <source>Time</source>
            <translation>时间</translation>
        </message>
        <message>
            <source>Notification</source>
            <translation>通知</translation>
        </message>
        <message>
            <source>Shown as</source>
            <translation>显示方式</translation>
        </message>
        <message>
            <source>What happened</source>
            <translation>结果</translation>
        </message>
    </context>
    <context>
        <name>NotificationPolicy</name>
        <message>
            <source>Task completed</source>
            <translation>任务已完成</translation>
        </message>
        <message>
            <source>Task failed</source>
            <translation>任务失败</translation>
        </message>
        <message>
            <source>Task cancelled</source>
            <translation>任务已取消</translation>
        </message>
        <message>
            <source>{n} tasks completed</source>
            <translation>{n} 个任务已完成</translation>
        </message>
        <message>
            <source>{n} tasks failed</source>
            <translation>{n} 个任务失败</translation>
        </message>
        <message>
            <source>{n} tasks cancelled</source>
            <translation>{n} 个任务已取消</translation>
        </message>
        <message>
            <source> and {n} more</source>
            <translation> 等另外 {n} 个</translation>
        </message>
        <message>
            <source>Connection lost, reconnecting…</source>
            <translation>连接已断开，正在重连…</translation>
        </message>
        <message>
            <source>Cannot reach the server at {name}</source>
            <translation>无法连接到服务器 {name}</translation>
        </message>
        <message>
            <source>Authentication failed</source>
            <translation>身份验证失败</translation>
        </message>
        <message>
            <source>{name} refused the access token. Check it in Settings.</source>
            <translation>{name} 拒绝了认证令牌，请在设置中检查。</translation>
        </message>
        <message>
            <source>Not a Monitor server</source>
            <translation>不是 Monitor 服务器</translation>
        </message>
        <message>
            <source>{name} serves no task event stream.</source>
            <translation>{name} 没有提供任务事件流。</translation>
        </message>
        <message>
            <source>Monitor keeps retrying in the background.</source>
            <translation>Monitor 会在后台继续重试。</translation>
        </message>
        <message>
            <source>Connection restored</source>
            <translation>连接已恢复</translation>
        </message>
        <message>
            <source>Live updates resumed.</source>
            <translation>实时更新已恢复。</translation>
        </message>
        <message>
            <source>All tasks done</source>
            <translation>所有任务已完成</translation>
        </message>
        <message>
            <source>Nothing is running any more.</source>
            <translation>已没有正在运行的任务。</translation>
        </message>
        <message>
            <source>System message from {name}</source>
            <translation>来自 {name} 的系统消息</translation>
        </message>
        <message>
            <source>Error message from {name}</source>
            <translation>来自 {name} 的错误消息</translation>
        </message>
        <message>
            <source>Urgent message from {name}</source>
            <translation>来自 {name} 的紧急消息</translation>
        </message>
        <message>
            <source>the server</source>
            <translation>服务器</translation>
        </message>
        <message>
            <source>{n} system messages</source>
            <translation>{n} 条系统消息</translation>
        </message>
        <message>
            <source>{n} error messages</source>
            <translation>{n} 条错误消息</translation>
        </message>
        <message>
            <source>{n} urgent messages</source>
            <translation>{n} 条紧急消息</translation>
        </message>
    </context>
    <context>
        <name>Notifier</name>
        <message>
            <source>Retry</source>
            <extracomment>Button labels (translated when the button is made).</extracomment>
            <translation>重试</translation>
        </message>
        <message>
            <source>Open result</source>
            <translation>打开结果</translation>
        </message>
        <message>
            <source>The result %1 is not on this computer.</source>
            <translation>结果 %1 不在这台电脑上。</translation>
        </message>
    </context>
    <context>
        <name>PendingAction</name>
        <message>
            <source>Pausing…</source>
            <translation>正在暂停…</translation>
        </message>
        <message>
            <source>Cancelling…</source>
            <translation>正在取消…</translation>
        </message>
        <message>
            <source>Resuming…</source>
            <translation>正在继续…</translation>
        </message>
        <message>
            <source>Retrying…</source>
            <translation>正在重试…</translation>
        </message>
    </context>
    <context>
        <name>ProfileEditor</name>
        <message>
            <source>Connection profile: %1</source>
            <translation>连接配置：%1</translation>
        </message>
        <message>
            <source>&amp;Stream URL:</source>
            <translation>事件流地址(&amp;S)：</translation>
        </message>
        <message>
            <source>Stream URL</source>
            <translation>事件流地址</translation>
        </message>
        <message>
            <source>The server's event stream, used exactly as given (path and query). A URL without a path is a Monitor server: /api/tasks/stream is added.</source>
            <translation>服务器的事件流地址，按原样使用（路径和查询参数）。没有路径的地址视为 Monitor 服务器，自动加上 /api/tasks/stream。</translation>
        </message>
        <message>
            <source>&amp;API base:</source>
            <translation>API 基础地址(&amp;A)：</translation>
        </message>
        <message>
            <source>API base</source>
            <translation>API 基础地址</translation>
        </message>
        <message>
            <source>Snapshot URL:</source>
            <translation>快照地址：</translation>
        </message>
        <message>
            <source>Snapshot URL</source>
            <translation>快照地址</translation>
        </message>
        <message>
            <source>Poll URL:</source>
            <translation>轮询地址：</translation>
        </message>
        <message>
            <source>Poll URL</source>
            <translation>轮询地址</translation>
        </message>
        <message>
            <source>Commands URL:</source>
            <translation>命令地址：</translation>
        </message>
        <message>
            <source>Commands URL</source>
            <translation>命令地址</translation>
        </message>
        <message>
            <source>Send the token in the URL &amp;query too</source>
            <translation>同时在地址查询参数中发送认证令牌(&amp;Q)</translation>
        </message>
        <message>
            <source>Send the token in the URL query</source>
            <translation>在地址查询参数中发送认证令牌</translation>
        </message>
        <message>
            <source>The token is always sent in the Authorization header; some servers read it only from the URL</source>
            <translation>认证令牌总是通过 Authorization 请求头发送；有些服务器只从地址中读取它</translation>
        </message>
        <message>
            <source>Authentication:</source>
            <translation>认证：</translation>
        </message>
        <message>
            <source>Client id</source>
            <translation>客户端 ID</translation>
        </message>
        <message>
            <source>Generated once for this installation and profile; servers address direct messages to it</source>
            <translation>每个安装和连接配置只生成一次；服务器按它发送定向消息</translation>
        </message>
        <message>
            <source>Cop&amp;y</source>
            <translation>复制(&amp;Y)</translation>
        </message>
        <message>
            <source>Copy the client id</source>
            <translation>复制客户端 ID</translation>
        </message>
        <message>
            <source>Client id:</source>
            <translation>客户端 ID：</translation>
        </message>
        <message>
            <source>Resume mode</source>
            <translation>续传方式</translation>
        </message>
        <message>
            <source>Automatic (header; add the query if the server replays)</source>
            <translation>自动（请求头；服务器重放时加上查询参数）</translation>
        </message>
        <message>
            <source>Last-Event-ID header only</source>
            <translation>仅 Last-Event-ID 请求头</translation>
        </message>
        <message>
            <source>Header and lastEventId query</source>
            <translation>请求头和 lastEventId 查询参数</translation>
        </message>
        <message>
            <source>&amp;Resume after a reconnect:</source>
            <translation>重连后续传(&amp;R)：</translation>
        </message>
        <message>
            <source>Server type</source>
            <translation>服务器类型</translation>
        </message>
        <message>
            <source>Monitor server</source>
            <translation>Monitor 服务器</translation>
        </message>
        <message>
            <source>Notification SDK server (seed 004)</source>
            <translation>通知 SDK 服务器（seed 004）</translation>
        </message>
        <message>
            <source>SSE service backend (seed 000)</source>
            <translation>SSE 服务后端（seed 000）</translation>
        </message>
        <message>
            <source>Any SSE server</source>
            <translation>任意 SSE 服务器</translation>
        </message>
        <message>
            <source>Server &amp;type:</source>
            <translation>服务器类型(&amp;T)：</translation>
        </message>
        <message>
            <source>Poll after failures</source>
            <translation>失败后轮询</translation>
        </message>
        <message>
            <source>&amp;Poll after this many failed connections:</source>
            <translation>连接失败多少次后降级到轮询(&amp;P)：</translation>
        </message>
    </context>
    <context>
        <name>ProgressChart</name>
        <message>
            <source>Progress over time</source>
            <extracomment>What the progress chart draws: (time, 0-100) samples oldest first, and whether it still runs.</extracomment>
            <translation>进度随时间变化</translation>
        </message>
        <message>
            <source>No progress reported yet</source>
            <translation>尚未报告进度</translation>
        </message>
    </context>
    <context>
        <name>Query</name>
        <message>
            <source>Missing closing quote for the quote at {at}</source>
            <extracomment>The Name column never shrinks below this when it stretches to fill the table. The widest a column gets from its content (double-click on a divider) or from a saved layout: a 4,000-character stage must not make a column, and then the window, 30,000 px wide. The narrowest a saved width is taken as (a column saved at 0 px would look missing). The parser's messages (``monitor.core.query``), listed for lupdate; translated at display.</extracomment>
            <translation>第 {at} 个字符处的引号没有闭合</translation>
        </message>
        <message>
            <source>Unknown filter '{name}:' (use {known} or put the text in quotes)</source>
            <translation>未知的筛选条件“{name}:”（可用 {known}，或把文字放在引号中）</translation>
        </message>
        <message>
            <source>'{name}:' needs a value</source>
            <translation>“{name}:”需要一个值</translation>
        </message>
        <message>
            <source>Unknown state '{name}' (use one of {known})</source>
            <translation>未知的状态“{name}”（可用 {known}）</translation>
        </message>
    </context>
    <context>
        <name>Reasons</name>
        <message>
            <source>Cannot connect to {server} (no answer in time)</source>
            <translation>无法连接到 {server}（无响应）</translation>
        </message>
        <message>
            <source>Cannot connect to {server} (its certificate is not trusted)</source>
            <translation>无法连接到 {server}（其证书不受信任）</translation>
        </message>
        <message>
            <source>Cannot connect to {server} (server name not found)</source>
            <translation>无法连接到 {server}（找不到服务器名称）</translation>
        </message>
        <message>
            <source>Cannot connect to {server} (connection refused)</source>
            <translation>无法连接到 {server}（连接被拒绝）</translation>
        </message>
        <message>
            <source>Cannot connect to {server}</source>
            <translation>无法连接到 {server}</translation>
        </message>
        <message>
            <source>{server} stopped answering</source>
            <translation>{server} 停止了响应</translation>
        </message>
        <message>
            <source>The connection to {server} broke off</source>
            <translation>与 {server} 的连接中断</translation>
        </message>
        <message>
            <source>Network error talking to {server}</source>
            <translation>与 {server} 通信时出现网络错误</translation>
        </message>
        <message>
            <source>The server answered {status}: {message}</source>
            <translation>服务器返回 {status}：{message}</translation>
        </message>
        <message>
            <source>The server answered {status}</source>
            <translation>服务器返回 {status}</translation>
        </message>
        <message>
            <source>the server</source>
            <translation>服务器</translation>
        </message>
        <message>
            <source>Gave up after {n} attempts: {reason}</source>
            <translation>尝试 {n} 次后放弃：{reason}</translation>
        </message>
        <message>
            <source>Polling for updates ({reason})</source>
            <translation>正在轮询更新（{reason}）</translation>
        </message>
        <message>
            <source>The server refused the access token ({status})</source>
            <translation>服务器拒绝了认证令牌（{status}）</translation>
        </message>
        <message>
            <source>The server answered {status}: this address serves no task event stream</source>
            <translation>服务器返回 {status}：此地址没有提供任务事件流</translation>
        </message>
        <message>
            <source>This address answered with {type}, not a task event stream</source>
            <translation>此地址返回的是 {type}，而不是任务事件流</translation>
        </message>
        <message>
            <source>{server} accepted the connection but did not answer within {s} s</source>
            <translation>{server} 接受了连接，但在 {s} 秒内没有响应</translation>
        </message>
        <message>
            <source>No data from {server} for {s} s</source>
            <translation>{s} 秒内没有收到 {server} 的数据</translation>
        </message>
        <message>
            <source>The server asked Monitor to stop connecting</source>
            <translation>服务器要求 Monitor 停止连接</translation>
        </message>
        <message>
            <source>This address redirects in a loop</source>
            <translation>此地址存在循环重定向</translation>
        </message>
        <message>
            <source>Disconnected</source>
            <translation>已断开</translation>
        </message>
        <message>
            <source>Connecting</source>
            <translation>正在连接</translation>
        </message>
        <message>
            <source>Connected</source>
            <translation>已连接</translation>
        </message>
        <message>
            <source>Polling for updates</source>
            <translation>正在轮询更新</translation>
        </message>
    </context>
    <context>
        <name>ServerList</name>
        <message>
            <source>Also watch these servers</source>
            <translation>同时监视这些服务器</translation>
        </message>
        <message>
            <source>Name of the server to add</source>
            <translation>要添加的服务器名称</translation>
        </message>
        <message>
            <source>Name</source>
            <translation>名称</translation>
        </message>
        <message>
            <source>Address of the server to add</source>
            <translation>要添加的服务器地址</translation>
        </message>
        <message>
            <source>Add server</source>
            <translation>添加服务器</translation>
        </message>
        <message>
            <source>Add this server and watch it too</source>
            <translation>添加此服务器并一并监视</translation>
        </message>
        <message>
            <source>Watch %1 too</source>
            <translation>同时监视 %1</translation>
        </message>
        <message>
            <source>Give the server a name.</source>
            <translation>请为服务器命名。</translation>
        </message>
        <message>
            <source>There is already a server named %1.</source>
            <translation>已有名为 %1 的服务器。</translation>
        </message>
    </context>
    <context>
        <name>ServerSet</name>
        <message>
            <source>Not connected to the server of these tasks.</source>
            <extracomment>The bearer token for a profile's server (None: none). The SSEService signals the set re-emits unchanged (their ids are already the store's).</extracomment>
            <translation>尚未连接到这些任务所在的服务器。</translation>
        </message>
    </context>
    <context>
        <name>SettingsDialog</name>
        <message>
            <source>Monitor settings</source>
            <translation>Monitor 设置</translation>
        </message>
        <message>
            <source>Server</source>
            <translation>服务器</translation>
        </message>
        <message>
            <source>Notifications</source>
            <translation>通知</translation>
        </message>
        <message>
            <source>Appearance</source>
            <translation>外观</translation>
        </message>
        <message>
            <source>Connection</source>
            <translation>连接</translation>
        </message>
        <message>
            <source>Access token</source>
            <translation>认证令牌</translation>
        </message>
        <message>
            <source>&amp;Token:</source>
            <translation>令牌(&amp;T)：</translation>
        </message>
        <message>
            <source>Token environment variable</source>
            <translation>令牌环境变量</translation>
        </message>
        <message>
            <source>Token from &amp;environment variable:</source>
            <translation>从环境变量读取令牌(&amp;E)：</translation>
        </message>
        <message>
            <source>The token is stored in the system keyring.</source>
            <translation>令牌保存在系统密钥环中。</translation>
        </message>
        <message>
            <source>No keyring available</source>
            <translation>没有可用的密钥环</translation>
        </message>
        <message>
            <source>No system keyring is available, so the token cannot be stored here.</source>
            <translation>没有可用的系统密钥环，因此无法在此保存令牌。</translation>
        </message>
        <message>
            <source>Set the token in an environment variable and name it below, or install and unlock GNOME Keyring or KWallet.</source>
            <translation>请将令牌放入环境变量并在下方填写其名称，或安装并解锁 GNOME Keyring 或 KWallet。</translation>
        </message>
        <message>
            <source>The keyring could not be read: %1</source>
            <translation>无法读取密钥环：%1</translation>
        </message>
        <message>
            <source>Stored in keyring (type to replace)</source>
            <translation>已保存在密钥环中（输入以替换）</translation>
        </message>
        <message>
            <source>Not set</source>
            <translation>未设置</translation>
        </message>
        <message>
            <source>A token is stored in the system keyring.</source>
            <translation>系统密钥环中已保存令牌。</translation>
        </message>
        <message>
            <source>The token will be stored in the system keyring.</source>
            <translation>令牌将保存在系统密钥环中。</translation>
        </message>
        <message>
            <source>Show &amp;notifications</source>
            <translation>显示通知(&amp;N)</translation>
        </message>
        <message>
            <source>Notify when</source>
            <translation>在以下情况通知</translation>
        </message>
        <message>
            <source>A task fails</source>
            <translation>任务失败</translation>
        </message>
        <message>
            <source>A task completes</source>
            <translation>任务完成</translation>
        </message>
        <message>
            <source>A task is cancelled</source>
            <translation>任务被取消</translation>
        </message>
        <message>
            <source>All tasks are done</source>
            <translation>所有任务完成</translation>
        </message>
        <message>
            <source>The connection is lost</source>
            <translation>连接断开</translation>
        </message>
        <message>
            <source>The connection is restored</source>
            <translation>连接恢复</translation>
        </message>
        <message>
            <source>The server sends a system message</source>
            <translation>服务器发来系统消息</translation>
        </message>
        <message>
            <source>The server sends an error message</source>
            <translation>服务器发来错误消息</translation>
        </message>
        <message>
            <source>The server sends an urgent (critical) message</source>
            <translation>服务器发来紧急消息</translation>
        </message>
        <message>
            <source>No pop-ups while the Monitor window is active</source>
            <translation>Monitor 窗口处于活动状态时不弹出通知</translation>
        </message>
        <message>
            <source>Theme</source>
            <translation>主题</translation>
        </message>
        <message>
            <source>Follow the system</source>
            <translation>跟随系统</translation>
        </message>
        <message>
            <source>Light</source>
            <translation>浅色</translation>
        </message>
        <message>
            <source>Dark</source>
            <translation>深色</translation>
        </message>
        <message>
            <source>T&amp;heme:</source>
            <translation>主题(&amp;H)：</translation>
        </message>
        <message>
            <source>Language</source>
            <translation>语言</translation>
        </message>
        <message>
            <source>System language</source>
            <translation>系统语言</translation>
        </message>
        <message>
            <source>%1 is not set in Monitor's environment, so no token comes from it.</source>
            <translation>Monitor 的环境中没有设置 %1，因此无法从中读取令牌。</translation>
        </message>
        <message>
            <source>Kept for this session (type to replace)</source>
            <translation>仅在本次会话中保留（输入以替换）</translation>
        </message>
        <message>
            <source>A token is kept in memory for this session only; it is not saved.</source>
            <translation>令牌仅在本次会话的内存中保留，不会保存。</translation>
        </message>
        <message>
            <source>No system keyring: a token typed here is kept in memory for this session only.</source>
            <translation>没有系统密钥环：在此输入的令牌仅在本次会话的内存中保留。</translation>
        </message>
        <message>
            <source>To keep it across restarts, set it in an environment variable and name it below, or install and unlock GNOME Keyring or KWallet.</source>
            <translation>如需在重启后保留，请将其设置在环境变量中并在下方填写变量名，或安装并解锁 GNOME Keyring 或 KWallet。</translation>
        </message>
        <message>
            <source>&amp;Language (after restart):</source>
            <translation>语言（重启后生效）(&amp;L)：</translation>
        </message>
        <message>
            <source>&amp;Close to tray</source>
            <translation>关闭时最小化到托盘(&amp;C)</translation>
        </message>
        <message>
            <source>&amp;Minimise to tray</source>
            <translation>最小化到托盘(&amp;M)</translation>
        </message>
        <message>
            <source>&amp;Start minimised</source>
            <translation>启动时最小化(&amp;S)</translation>
        </message>
        <message>
            <source>No system tray is available on this desktop</source>
            <translation>此桌面没有可用的系统托盘</translation>
        </message>
        <message>
            <source>Tasks kept in the list</source>
            <translation>列表中保留的任务数</translation>
        </message>
        <message>
            <source>Past this number the oldest finished tasks leave the list; active tasks always stay.</source>
            <translation>超过此数量时，最早结束的任务将移出列表；进行中的任务始终保留。</translation>
        </message>
        <message>
            <source>Tasks &amp;kept in the list:</source>
            <translation>列表中保留的任务数(&amp;K)：</translation>
        </message>
        <message>
            <source> days</source>
            <translation> 天</translation>
        </message>
        <message>
            <source>Off</source>
            <translation>关闭</translation>
        </message>
        <message>
            <source>Keep finished tasks on this computer</source>
            <translation>在这台电脑上保留已结束的任务</translation>
        </message>
        <message>
            <source>Finished tasks are kept on this computer, across restarts and after the server forgets them. Off keeps nothing. Takes effect at the next start.</source>
            <translation>已结束的任务保留在这台电脑上，重启后以及服务器忘记它们之后仍然保留。“关闭”则不保留。下次启动时生效。</translation>
        </message>
        <message>
            <source>Keep finished tasks &amp;for:</source>
            <translation>已结束任务保留(&amp;F)：</translation>
        </message>
        <message>
            <source>Ask first</source>
            <translation>先询问</translation>
        </message>
        <message>
            <source>Before cancelling tasks</source>
            <translation>取消任务之前</translation>
        </message>
        <message>
            <source>Before acting on several tasks (and Pause all / Resume all)</source>
            <translation>对多个任务操作之前（以及全部暂停/全部继续）</translation>
        </message>
        <message>
            <source> ms</source>
            <translation> 毫秒</translation>
        </message>
        <message>
            <source>&amp;Reconnect automatically</source>
            <translation>自动重连(&amp;R)</translation>
        </message>
        <message>
            <source>First retry after:</source>
            <translation>首次重连间隔：</translation>
        </message>
        <message>
            <source>Backoff factor</source>
            <translation>指数退避系数</translation>
        </message>
        <message>
            <source>Backoff factor:</source>
            <translation>指数退避系数：</translation>
        </message>
        <message>
            <source>Longest wait between retries:</source>
            <translation>最大重连间隔：</translation>
        </message>
        <message>
            <source>Give up after (0 = never):</source>
            <translation>最大重连次数（0 = 不限）：</translation>
        </message>
        <message>
            <source>Heartbeat interval:</source>
            <translation>心跳间隔：</translation>
        </message>
        <message>
            <source>Heartbeat timeout:</source>
            <translation>心跳超时：</translation>
        </message>
        <message>
            <source>Fall back to &amp;polling</source>
            <translation>降级到轮询(&amp;P)</translation>
        </message>
        <message>
            <source>Polling interval:</source>
            <translation>轮询间隔：</translation>
        </message>
        <message>
            <source>%1: %2</source>
            <translation>%1：%2</translation>
        </message>
        <message>
            <source>The environment variable name may hold only letters, digits and _</source>
            <translation>环境变量名只能包含字母、数字和 _</translation>
        </message>
    </context>
    <context>
        <name>StateSidebar</name>
        <message>
            <source>All</source>
            <extracomment>The item data role holding a server entry's server name.</extracomment>
            <translation>全部</translation>
        </message>
        <message>
            <source>Active</source>
            <translation>未结束</translation>
        </message>
        <message>
            <source>Queued</source>
            <translation>排队中</translation>
        </message>
        <message>
            <source>Running</source>
            <translation>运行中</translation>
        </message>
        <message>
            <source>Paused</source>
            <translation>已暂停</translation>
        </message>
        <message>
            <source>Completed</source>
            <translation>已完成</translation>
        </message>
        <message>
            <source>Failed</source>
            <translation>失败</translation>
        </message>
        <message>
            <source>Cancelled</source>
            <translation>已取消</translation>
        </message>
        <message>
            <source>Task states</source>
            <translation>任务状态</translation>
        </message>
        <message>
            <source>{group}: {n} tasks</source>
            <translation>{group}：{n} 个任务</translation>
        </message>
        <message>
            <source>Servers</source>
            <translation>服务器</translation>
        </message>
        <message>
            <source>Server {name}: {n} tasks</source>
            <translation>服务器 {name}：{n} 个任务</translation>
        </message>
    </context>
    <context>
        <name>TaskActions</name>
        <message>
            <source>Cancel</source>
            <extracomment>The dynamic property holding an action's label in the shortcut help. Called with a literal context at each site (not via ``_tr``) so that pyside6-lupdate finds the strings.</extracomment>
            <translation>取消</translation>
        </message>
        <message>
            <source>Only queued, running or paused tasks can be cancelled</source>
            <translation>只能取消排队中、运行中或已暂停的任务</translation>
        </message>
        <message>
            <source>Pause</source>
            <extracomment>Labels one toolbar button takes in turn (measured up front so that it never grows later).</extracomment>
            <translation>暂停</translation>
        </message>
        <message>
            <source>Only queued or running tasks can be paused</source>
            <translation>只有排队中或运行中的任务可以暂停</translation>
        </message>
        <message>
            <source>Resume</source>
            <translation>继续</translation>
        </message>
        <message>
            <source>Only paused tasks can be resumed</source>
            <translation>只能继续已暂停的任务</translation>
        </message>
        <message>
            <source>Retry</source>
            <translation>重试</translation>
        </message>
        <message>
            <source>Only failed or cancelled tasks can be retried</source>
            <translation>只能重试失败或已取消的任务</translation>
        </message>
        <message>
            <source>Remove from list</source>
            <translation>从列表中移除</translation>
        </message>
        <message>
            <source>Only finished tasks can be removed from the list</source>
            <translation>只能从列表中移除已结束的任务</translation>
        </message>
        <message>
            <source>Pause / resume</source>
            <translation>暂停 / 继续</translation>
        </message>
        <message>
            <source>Refresh</source>
            <translation>刷新</translation>
        </message>
        <message>
            <source>Show details</source>
            <translation>显示详情</translation>
        </message>
        <message>
            <source>This server takes no commands ({reason})</source>
            <translation>此服务器不接受命令（{reason}）</translation>
        </message>
        <message>
            <source>Ask the server for the latest state (F5)</source>
            <translation>向服务器获取最新状态（F5）</translation>
        </message>
        <message>
            <source>Copy ID</source>
            <translation>复制 ID</translation>
        </message>
        <message>
            <source>Reconnect to rebuild the list: this server has no task snapshot ({reason}) (F5)</source>
            <translation>重连以重建列表：此服务器没有任务快照（{reason}）(F5)</translation>
        </message>
        <message>
            <source>Copy the selected task ids</source>
            <translation>复制所选任务的 ID</translation>
        </message>
        <message>
            <source>No task selected</source>
            <translation>未选择任务</translation>
        </message>
        <message>
            <source>{action} {n} of {m} selected</source>
            <translation>{action}（已选 {m} 个中的 {n} 个）</translation>
        </message>
    </context>
    <context>
        <name>TaskDetail</name>
        <message>
            <source>No task selected</source>
            <extracomment>A name or stage longer than this also shows whole in the Full text tab (the fields cut it). A result value longer than this is elided (the pane is not a viewer; Copy-able text stays short).</extracomment>
            <translation>未选择任务</translation>
        </message>
        <message>
            <source>Selection summary</source>
            <translation>所选任务摘要</translation>
        </message>
        <message>
            <source>ID</source>
            <translation>ID</translation>
        </message>
        <message>
            <source>Name</source>
            <translation>名称</translation>
        </message>
        <message>
            <source>Kind</source>
            <translation>类型</translation>
        </message>
        <message>
            <source>State</source>
            <translation>状态</translation>
        </message>
        <message>
            <source>Progress</source>
            <translation>进度</translation>
        </message>
        <message>
            <source>Stage</source>
            <translation>阶段</translation>
        </message>
        <message>
            <source>Attempt</source>
            <translation>尝试次数</translation>
        </message>
        <message>
            <source>Worker</source>
            <translation>执行节点</translation>
        </message>
        <message>
            <source>Created</source>
            <translation>创建时间</translation>
        </message>
        <message>
            <source>Started</source>
            <translation>开始时间</translation>
        </message>
        <message>
            <source>Finished</source>
            <translation>结束时间</translation>
        </message>
        <message>
            <source>Copy</source>
            <translation>复制</translation>
        </message>
        <message>
            <source>Copy {field}</source>
            <translation>复制{field}</translation>
        </message>
        <message>
            <source>ETA</source>
            <translation>剩余时间</translation>
        </message>
        <message>
            <source>Updated</source>
            <translation>更新时间</translation>
        </message>
        <message>
            <source>Error</source>
            <translation>错误</translation>
        </message>
        <message>
            <source>Timeline</source>
            <translation>时间线</translation>
        </message>
        <message>
            <source>Events</source>
            <translation>事件</translation>
        </message>
        <message>
            <source>Full text</source>
            <translation>全文</translation>
        </message>
        <message>
            <source>{stage} (when it stopped)</source>
            <translation>{stage}（停止时）</translation>
        </message>
        <message>
            <source>Task created</source>
            <translation>任务已创建</translation>
        </message>
        <message>
            <source>Task updated</source>
            <translation>任务已更新</translation>
        </message>
        <message>
            <source>Task completed</source>
            <translation>任务已完成</translation>
        </message>
        <message>
            <source>Task failed</source>
            <translation>任务失败</translation>
        </message>
        <message>
            <source>Task cancelled</source>
            <translation>任务已取消</translation>
        </message>
        <message>
            <source>Task list refreshed</source>
            <translation>任务列表已刷新</translation>
        </message>
        <message>
            <source>Update</source>
            <translation>更新</translation>
        </message>
        <message>
            <source>Ignored: older news about a finished task</source>
            <translation>已忽略：关于已结束任务的过时消息</translation>
        </message>
        <message>
            <source>Ignored: older than what is shown</source>
            <translation>已忽略：比当前显示的更旧</translation>
        </message>
        <message>
            <source>{event}: {fields} changed</source>
            <translation>{event}：{fields} 已变化</translation>
        </message>
        <message>
            <source>Result</source>
            <translation>结果</translation>
        </message>
        <message>
            <source>Offline: data as of {time}</source>
            <translation>离线：数据截至 {time}</translation>
        </message>
        <message>
            <source>, </source>
            <translation>，</translation>
        </message>
        <message>
            <source>{n} tasks selected: {states}</source>
            <translation>已选 {n} 个任务：{states}</translation>
        </message>
        <message>
            <source>Average progress: {p}%</source>
            <translation>平均进度：{p}%</translation>
        </message>
    </context>
    <context>
        <name>TaskTableModel</name>
        <message>
            <source>Queued</source>
            <extracomment>Flush period: 10 Hz is smooth to the eye and leaves the main thread idle most of the time. Up to this many changed rows per flush get one ``dataChanged`` each (a few microseconds per row); more go as spans, whose full repaint is then cheaper than the signals. Called with a literal context at each site so that pyside6-lupdate finds the strings.</extracomment>
            <translation>排队中</translation>
        </message>
        <message>
            <source>Running</source>
            <translation>运行中</translation>
        </message>
        <message>
            <source>Paused</source>
            <translation>已暂停</translation>
        </message>
        <message>
            <source>Cancelling</source>
            <translation>正在取消</translation>
        </message>
        <message>
            <source>Completed</source>
            <translation>已完成</translation>
        </message>
        <message>
            <source>Failed</source>
            <translation>失败</translation>
        </message>
        <message>
            <source>Cancelled</source>
            <translation>已取消</translation>
        </message>
        <message>
            <source>estimating…</source>
            <translation>估算中…</translation>
        </message>
        <message>
            <source>paused</source>
            <translation>已暂停</translation>
        </message>
        <message>
            <source>&gt; 1 day</source>
            <translation>&gt; 1 天</translation>
        </message>
        <message>
            <source>Task name (audio file for transcriptions)</source>
            <translation>任务名称（转录任务为音频文件名）</translation>
        </message>
        <message>
            <source>Lifecycle state</source>
            <translation>生命周期状态</translation>
        </message>
        <message>
            <source>Percent done and current stage</source>
            <translation>完成百分比与当前阶段</translation>
        </message>
        <message>
            <source>Estimated time left (worker estimate, else smoothed from progress)</source>
            <translation>预计剩余时间（优先采用执行节点的估计，否则根据进度平滑推算）</translation>
        </message>
        <message>
            <source>Run time so far</source>
            <translation>已运行时长</translation>
        </message>
        <message>
            <source>When the task started</source>
            <translation>任务开始时间</translation>
        </message>
        <message>
            <source>When the task finished</source>
            <translation>任务结束时间</translation>
        </message>
        <message>
            <source>Server task id</source>
            <translation>服务器上的任务 ID</translation>
        </message>
        <message>
            <source>Worker running the task</source>
            <translation>运行该任务的执行节点</translation>
        </message>
        <message>
            <source>Run number (1 = first run)</source>
            <translation>第几次运行（1 = 首次运行）</translation>
        </message>
        <message>
            <source>Why the task failed</source>
            <translation>任务失败的原因</translation>
        </message>
        <message>
            <source>Kind of job</source>
            <translation>作业类型</translation>
        </message>
        <message>
            <source>Server</source>
            <translation>服务器</translation>
        </message>
        <message>
            <source>The server the task runs on (its connection profile)</source>
            <translation>任务所在的服务器（其连接配置）</translation>
        </message>
        <message>
            <source>Name</source>
            <extracomment>The Qt half of every column, keyed by the store's registry (:class:`TaskColumn`).</extracomment>
            <translation>名称</translation>
        </message>
        <message>
            <source>Status</source>
            <translation>状态</translation>
        </message>
        <message>
            <source>Progress</source>
            <translation>进度</translation>
        </message>
        <message>
            <source>ETA</source>
            <translation>剩余时间</translation>
        </message>
        <message>
            <source>Elapsed</source>
            <translation>已用时间</translation>
        </message>
        <message>
            <source>Started</source>
            <translation>开始时间</translation>
        </message>
        <message>
            <source>Finished</source>
            <translation>结束时间</translation>
        </message>
        <message>
            <source>ID</source>
            <translation>ID</translation>
        </message>
        <message>
            <source>Worker</source>
            <translation>执行节点</translation>
        </message>
        <message>
            <source>Attempt</source>
            <translation>尝试次数</translation>
        </message>
        <message>
            <source>Error</source>
            <translation>错误</translation>
        </message>
        <message>
            <source>Kind</source>
            <translation>类型</translation>
        </message>
        <message>
            <source>Offline: as of {time}</source>
            <extracomment>The Server cell of ids without a server's name (one server watched: its profile's name). Counters for tests and benchmarks.</extracomment>
            <translation>离线：数据截至 {time}</translation>
        </message>
        <message>
            <source>From before the server restarted</source>
            <translation>服务器重启之前的数据</translation>
        </message>
        <message>
            <source>{n} percent</source>
            <translation>百分之 {n}</translation>
        </message>
        <message>
            <source>{t} left</source>
            <translation>剩余 {t}</translation>
        </message>
    </context>
    <context>
        <name>TaskView</name>
        <message>
            <source>Search: text, state:failed, worker:demo-gpu-0, -name:podcast</source>
            <translation>搜索：文本、state:failed、worker:demo-gpu-0、-name:podcast</translation>
        </message>
        <message>
            <source>Search tasks</source>
            <translation>搜索任务</translation>
        </message>
        <message>
            <source>Search error</source>
            <translation>搜索语法错误</translation>
        </message>
        <message>
            <source>Clear the search</source>
            <translation>清除搜索</translation>
        </message>
        <message>
            <source>Search</source>
            <translation>搜索</translation>
        </message>
        <message>
            <source>Sort order</source>
            <translation>排序状态</translation>
        </message>
        <message>
            <source>Clear filter</source>
            <translation>清除筛选</translation>
        </message>
        <message>
            <source>Show every task</source>
            <translation>显示全部任务</translation>
        </message>
        <message>
            <source>Tasks</source>
            <translation>任务</translation>
        </message>
        <message>
            <source>Select all</source>
            <translation>全选</translation>
        </message>
        <message>
            <source>Showing {n} of {m}</source>
            <translation>显示 {n} / {m}</translation>
        </message>
        <message>
            <source>Showing {n} of {m}, offline: as of {time}</source>
            <translation>显示 {n} / {m}，离线：数据截至 {time}</translation>
        </message>
        <message>
            <source>No tasks match the filter</source>
            <translation>没有符合筛选条件的任务</translation>
        </message>
        <message>
            <source>No tasks yet</source>
            <translation>暂无任务</translation>
        </message>
        <message>
            <source>Waiting for the server…</source>
            <translation>正在等待服务器…</translation>
        </message>
        <message>
            <source>Sorting paused while a menu is open (sorted as of {time})</source>
            <translation>菜单打开时暂停排序（排序截至 {time}）</translation>
        </message>
        <message>
            <source>Sorting paused while the pointer is over the table (sorted as of {time})</source>
            <translation>鼠标位于表格上时暂停排序（排序截至 {time}）</translation>
        </message>
    </context>
    <context>
        <name>ThroughputChart</name>
        <message>
            <source>Finished tasks per minute</source>
            <extracomment>The fastest repaint rate: live data arrives much faster than a chart needs to move.</extracomment>
            <translation>每分钟结束的任务</translation>
        </message>
        <message>
            <source>Last {m} min: {c} completed, {f} failed; this minute: {n}</source>
            <translation>最近 {m} 分钟：{c} 个完成，{f} 个失败；本分钟：{n}</translation>
        </message>
    </context>
    <context>
        <name>TrayController</name>
        <message>
            <source>Monitor tray menu</source>
            <translation>Monitor 托盘菜单</translation>
        </message>
        <message>
            <source>Hide window</source>
            <translation>隐藏窗口</translation>
        </message>
        <message>
            <source>Pause all</source>
            <translation>全部暂停</translation>
        </message>
        <message>
            <source>Resume all</source>
            <translation>全部继续</translation>
        </message>
        <message>
            <source>Do not disturb</source>
            <translation>勿扰模式</translation>
        </message>
        <message>
            <source>Only failures raise desktop notifications</source>
            <translation>仅任务失败时弹出桌面通知</translation>
        </message>
        <message>
            <source>Settings…</source>
            <translation>设置…</translation>
        </message>
        <message>
            <source>Quit</source>
            <translation>退出</translation>
        </message>
        <message>
            <source>Show window</source>
            <translation>显示窗口</translation>
        </message>
        <message>
            <source>%1 · as of %2</source>
            <translation>%1 · 截至 %2</translation>
        </message>
    </context>
    <context>
        <name>_TrayText</name>
        <message numerus="yes">
            <source>%n running</source>
            <translation>
                <numerusform>%n 个运行中</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <source>%n queued</source>
            <translation>
                <numerusform>%n 个排队中</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <source>%n paused</source>
            <translation>
                <numerusform>%n 个已暂停</numerusform>
            </translation>
        </message>
        <message numerus="yes">
            <source>%n failed</source>
            <translation>
                <numerusform>%n 个失败</numerusform>
            </translation>
        </message>
        <message>
            <source>, </source>
            <translation>，</translation>
        </message>
        <message>
            <source>Idle</source>
            <translation>空闲</translation>
        </message>
        <message>
            <source>No tasks</source>
            <translation>没有任务</translation>
        </message>
        <message>
            <source>Offline - %1</source>
            <translation>离线 - %1</translation>
        </message>
    </context>
</TS>
<?xml version='1.0' encoding='utf-8'?>
<TS version="2.1" language="zh_CN">
<context>
    <name>ConnectionIndicator</name>
    <message>
        <location filename="../../monitor/ui/indicator.py" line="68" />
        <source>Connection state colour</source>
        <translation>连接状态颜色</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/indicator.py" line="72" />
        <source>Retry now</source>
        <translation>立即重试</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/indicator.py" line="74" />
        <source>Retry connecting now</source>
        <translation>立即重新连接</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/indicator.py" line="77" />
        <source>Settings</source>
        <translation>设置</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/indicator.py" line="79" />
        <source>Open connection settings</source>
        <translation>打开连接设置</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/indicator.py" line="92" />
        <source>Connection status</source>
        <translation>连接状态</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/indicator.py" line="154" />
        <source>Server: %1</source>
        <translation>服务器：%1</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/indicator.py" line="156" />
        <source>No events received yet</source>
        <translation>尚未收到事件</translation>
    </message>
    <message numerus="yes">
        <location filename="../../monitor/ui/indicator.py" line="159" />
        <source>Last event %n s ago</source>
        <translation>
            <numerusform>上次事件在 %n 秒前</numerusform></translation>
    </message>
    <message numerus="yes">
        <location filename="../../monitor/ui/indicator.py" line="161" />
        <source>Attempt %n</source>
        <translation>
            <numerusform>第 %n 次尝试</numerusform></translation>
    </message>
    <message>
        <location filename="../../monitor/ui/indicator.py" line="163" />
        <source>Reason: %1</source>
        <translation>原因：%1</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/indicator.py" line="165" />
        <source>Data as of %1</source>
        <translation>数据截至 %1</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/indicator.py" line="179" />
        <source>Live</source>
        <translation>实时</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/indicator.py" line="181" />
        <source>Connecting…</source>
        <translation>正在连接…</translation>
    </message>
    <message numerus="yes">
        <location filename="../../monitor/ui/indicator.py" line="186" />
        <source>Reconnecting in %n s</source>
        <translation>
            <numerusform>%n 秒后重新连接</numerusform></translation>
    </message>
    <message>
        <location filename="../../monitor/ui/indicator.py" line="188" />
        <source>Reconnecting…</source>
        <translation>正在重新连接…</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/indicator.py" line="190" />
        <source>Polling</source>
        <translation>轮询中</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/indicator.py" line="192" />
        <source>Authentication failed</source>
        <translation>身份验证失败</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/indicator.py" line="196" />
        <source>Not a Monitor server</source>
        <translation>不是 Monitor 服务器</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/indicator.py" line="199" />
        <source>Offline since %1</source>
        <translation>自 %1 起离线</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <location filename="../../monitor/ui/main_window.py" line="37" />
        <source>Show details</source>
        <extracomment>Shortcut help (key, what). Shown by Help &gt; Keyboard shortcuts; D1's actions define the keys.</extracomment>
        <translation>显示详情</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/main_window.py" line="38" />
        <source>Pause / resume</source>
        <translation>暂停 / 继续</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/main_window.py" line="39" />
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/main_window.py" line="40" />
        <source>Retry</source>
        <translation>重试</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/main_window.py" line="41" />
        <source>Search</source>
        <translation>搜索</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/main_window.py" line="42" />
        <source>Resync with the server</source>
        <translation>与服务器重新同步</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/main_window.py" line="43" />
        <source>Settings</source>
        <translation>设置</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/main_window.py" line="44" />
        <source>Quit</source>
        <translation>退出</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/main_window.py" line="99" />
        <source>No tasks yet</source>
        <translation>暂无任务</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/main_window.py" line="105" />
        <source>Actions</source>
        <translation>操作</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/main_window.py" line="115" />
        <source>Task counts</source>
        <translation>任务数量</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/main_window.py" line="127" />
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/main_window.py" line="128" />
        <source>&amp;Settings…</source>
        <translation>设置(&amp;S)…</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/main_window.py" line="134" />
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/main_window.py" line="140" />
        <source>&amp;View</source>
        <translation>视图(&amp;V)</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/main_window.py" line="141" />
        <source>&amp;Columns</source>
        <translation>列(&amp;C)</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/main_window.py" line="143" />
        <source>&amp;Detail pane</source>
        <translation>详情面板(&amp;D)</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/main_window.py" line="149" />
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/main_window.py" line="150" />
        <source>Keyboard &amp;shortcuts</source>
        <translation>键盘快捷键(&amp;S)</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/main_window.py" line="153" />
        <source>&amp;About Monitor</source>
        <translation>关于 Monitor(&amp;A)</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/main_window.py" line="164" />
        <source>Keyboard shortcuts</source>
        <translation>键盘快捷键</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/main_window.py" line="173" />
        <source>About Monitor</source>
        <translation>关于 Monitor</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/main_window.py" line="174" />
        <source>Monitor %1
Watch server tasks live.</source>
        <translation>Monitor %1
实时查看服务器任务。</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/main_window.py" line="210" />
        <source>Monitor - %1</source>
        <translation>Monitor - %1</translation>
    </message>
</context>
<context>
    <name>NotificationBanner</name>
    <message>
        <location filename="../../monitor/ui/notifications.py" line="92" />
        <source>Notification</source>
        <translation>通知</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/notifications.py" line="96" />
        <source>Show</source>
        <translation>显示</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/notifications.py" line="97" />
        <source>Show the task</source>
        <translation>显示该任务</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/notifications.py" line="98" />
        <source>Dismiss</source>
        <translation>关闭</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/notifications.py" line="99" />
        <source>Dismiss notification</source>
        <translation>关闭通知</translation>
    </message>
</context>
<context>
    <name>NotificationPolicy</name>
    <message>
        <location filename="../../monitor/ui/notifications.py" line="45" />
        <source>Task completed</source>
        <translation>任务已完成</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/notifications.py" line="46" />
        <source>Task failed</source>
        <translation>任务失败</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/notifications.py" line="47" />
        <source>Task cancelled</source>
        <translation>任务已取消</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/notifications.py" line="48" />
        <source>{n} tasks completed</source>
        <translation>{n} 个任务已完成</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/notifications.py" line="49" />
        <source>{n} tasks failed</source>
        <translation>{n} 个任务失败</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/notifications.py" line="50" />
        <source>{n} tasks cancelled</source>
        <translation>{n} 个任务已取消</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/notifications.py" line="51" />
        <source> and {n} more</source>
        <translation> 等另外 {n} 个</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/notifications.py" line="52" />
        <source>Connection to the server lost</source>
        <translation>与服务器的连接已断开</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/notifications.py" line="53" />
        <source>Monitor keeps retrying in the background.</source>
        <translation>Monitor 会在后台继续重试。</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/notifications.py" line="54" />
        <source>Connection restored</source>
        <translation>连接已恢复</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/notifications.py" line="55" />
        <source>Live updates resumed.</source>
        <translation>实时更新已恢复。</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/notifications.py" line="56" />
        <source>All tasks done</source>
        <translation>所有任务已完成</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/notifications.py" line="57" />
        <source>Nothing is running any more.</source>
        <translation>已没有正在运行的任务。</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <location filename="../../monitor/ui/settings_dialog.py" line="119" />
        <source>Monitor settings</source>
        <translation>Monitor 设置</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/settings_dialog.py" line="125" />
        <source>Server</source>
        <translation>服务器</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/settings_dialog.py" line="126" />
        <source>Notifications</source>
        <translation>通知</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/settings_dialog.py" line="127" />
        <source>Appearance</source>
        <translation>外观</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/settings_dialog.py" line="128" />
        <source>Connection</source>
        <translation>连接</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/settings_dialog.py" line="157" />
        <source>Server URL</source>
        <translation>服务器地址</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/settings_dialog.py" line="160" />
        <source>Server &amp;URL:</source>
        <translation>服务器地址(&amp;U)：</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/settings_dialog.py" line="163" />
        <source>Access token</source>
        <translation>访问令牌</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/settings_dialog.py" line="170" />
        <source>&amp;Token:</source>
        <translation>令牌(&amp;T)：</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/settings_dialog.py" line="174" />
        <source>Token environment variable</source>
        <translation>令牌环境变量</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/settings_dialog.py" line="177" />
        <source>Token from &amp;environment variable:</source>
        <translation>从环境变量读取令牌(&amp;E)：</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/settings_dialog.py" line="182" />
        <source>The token is stored in the system keyring.</source>
        <translation>令牌保存在系统密钥环中。</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/settings_dialog.py" line="188" />
        <source>No keyring available</source>
        <translation>没有可用的密钥环</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/settings_dialog.py" line="190" />
        <source>No system keyring is available, so the token cannot be stored here.</source>
        <translation>没有可用的系统密钥环，因此无法在此保存令牌。</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/settings_dialog.py" line="192" />
        <source>Set the token in an environment variable and name it below, or install and unlock GNOME Keyring or KWallet.</source>
        <translation>请将令牌放入环境变量并在下方填写其名称，或安装并解锁 GNOME Keyring 或 KWallet。</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/settings_dialog.py" line="198" />
        <source>The keyring could not be read: %1</source>
        <translation>无法读取密钥环：%1</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/settings_dialog.py" line="201" />
        <source>Stored in keyring (type to replace)</source>
        <translation>已保存在密钥环中（输入以替换）</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/settings_dialog.py" line="201" />
        <source>Not set</source>
        <translation>未设置</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/settings_dialog.py" line="204" />
        <source>A token is stored in the system keyring.</source>
        <translation>系统密钥环中已保存令牌。</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/settings_dialog.py" line="206" />
        <source>The token will be stored in the system keyring.</source>
        <translation>令牌将保存在系统密钥环中。</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/settings_dialog.py" line="218" />
        <source>Show &amp;notifications</source>
        <translation>显示通知(&amp;N)</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/settings_dialog.py" line="220" />
        <source>Notify when</source>
        <translation>在以下情况通知</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/settings_dialog.py" line="224" />
        <source>A task fails</source>
        <translation>任务失败</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/settings_dialog.py" line="225" />
        <source>A task completes</source>
        <translation>任务完成</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/settings_dialog.py" line="226" />
        <source>A task is cancelled</source>
        <translation>任务被取消</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/settings_dialog.py" line="227" />
        <source>All tasks are done</source>
        <translation>所有任务完成</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/settings_dialog.py" line="228" />
        <source>The connection is lost</source>
        <translation>连接断开</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/settings_dialog.py" line="229" />
        <source>The connection is restored</source>
        <translation>连接恢复</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/settings_dialog.py" line="238" />
        <source>No pop-ups while the Monitor window is active</source>
        <translation>Monitor 窗口处于活动状态时不弹出通知</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/settings_dialog.py" line="251" />
        <source>Theme</source>
        <translation>主题</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/settings_dialog.py" line="253" />
        <source>Follow the system</source>
        <translation>跟随系统</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/settings_dialog.py" line="254" />
        <source>Light</source>
        <translation>浅色</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/settings_dialog.py" line="255" />
        <source>Dark</source>
        <translation>深色</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/settings_dialog.py" line="259" />
        <source>T&amp;heme:</source>
        <translation>主题(&amp;H)：</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/settings_dialog.py" line="261" />
        <source>Language</source>
        <translation>语言</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/settings_dialog.py" line="262" />
        <source>System language</source>
        <translation>系统语言</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/settings_dialog.py" line="265" />
        <source>&amp;Language (after restart):</source>
        <translation>语言（重启后生效）(&amp;L)：</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/settings_dialog.py" line="266" />
        <source>&amp;Close to tray</source>
        <translation>关闭时最小化到托盘(&amp;C)</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/settings_dialog.py" line="268" />
        <source>&amp;Minimise to tray</source>
        <translation>最小化到托盘(&amp;M)</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/settings_dialog.py" line="271" />
        <source>&amp;Start minimised</source>
        <translation>启动时最小化(&amp;S)</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/settings_dialog.py" line="276" />
        <source>No system tray is available on this desktop</source>
        <translation>此桌面没有可用的系统托盘</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/settings_dialog.py" line="293" />
        <source>&amp;Reconnect automatically</source>
        <translation>自动重新连接(&amp;R)</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/settings_dialog.py" line="296" />
        <source>First retry after:</source>
        <translation>首次重试间隔：</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/settings_dialog.py" line="301" />
        <source>Backoff factor</source>
        <translation>退避系数</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/settings_dialog.py" line="302" />
        <source>Backoff factor:</source>
        <translation>退避系数：</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/settings_dialog.py" line="304" />
        <source>Longest wait between retries:</source>
        <translation>最长重试间隔：</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/settings_dialog.py" line="306" />
        <source>Give up after (0 = never):</source>
        <translation>最多重试次数（0 = 不限）：</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/settings_dialog.py" line="308" />
        <source>Heartbeat interval:</source>
        <translation>心跳间隔：</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/settings_dialog.py" line="310" />
        <source>Heartbeat timeout:</source>
        <translation>心跳超时：</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/settings_dialog.py" line="311" />
        <source>Fall back to &amp;polling</source>
        <translation>降级为轮询(&amp;P)</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/settings_dialog.py" line="315" />
        <source>Polling interval:</source>
        <translation>轮询间隔：</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/settings_dialog.py" line="326" />
        <source>Server URL: %1</source>
        <translation>服务器地址：%1</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/settings_dialog.py" line="329" />
        <source>The environment variable name may hold only letters, digits and _</source>
        <translation>环境变量名只能包含字母、数字和 _</translation>
    </message>
</context>
<context>
    <name>TrayController</name>
    <message>
        <location filename="../../monitor/ui/tray.py" line="137" />
        <source>Monitor tray menu</source>
        <translation>Monitor 托盘菜单</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/tray.py" line="138" />
        <location filename="../../monitor/ui/tray.py" line="201" />
        <source>Hide window</source>
        <translation>隐藏窗口</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/tray.py" line="140" />
        <source>Pause all</source>
        <translation>全部暂停</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/tray.py" line="141" />
        <source>Resume all</source>
        <translation>全部继续</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/tray.py" line="143" />
        <source>Do not disturb</source>
        <translation>勿扰模式</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/tray.py" line="146" />
        <source>Only failures raise desktop notifications</source>
        <translation>仅任务失败时弹出桌面通知</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/tray.py" line="150" />
        <source>Quit</source>
        <translation>退出</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/tray.py" line="201" />
        <source>Show window</source>
        <translation>显示窗口</translation>
    </message>
</context>
<context>
    <name>_TrayText</name>
    <message numerus="yes">
        <location filename="../../monitor/ui/tray.py" line="82" />
        <source>%n running</source>
        <translation>
            <numerusform>%n 个运行中</numerusform></translation>
    </message>
    <message numerus="yes">
        <location filename="../../monitor/ui/tray.py" line="86" />
        <source>%n queued</source>
        <translation>
            <numerusform>%n 个排队中</numerusform></translation>
    </message>
    <message numerus="yes">
        <location filename="../../monitor/ui/tray.py" line="88" />
        <source>%n paused</source>
        <translation>
            <numerusform>%n 个已暂停</numerusform></translation>
    </message>
    <message numerus="yes">
        <location filename="../../monitor/ui/tray.py" line="90" />
        <source>%n failed</source>
        <translation>
            <numerusform>%n 个失败</numerusform></translation>
    </message>
    <message>
        <location filename="../../monitor/ui/tray.py" line="91" />
        <source>, </source>
        <translation>，</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/tray.py" line="91" />
        <source>Idle</source>
        <translation>空闲</translation>
    </message>
    <message>
        <location filename="../../monitor/ui/tray.py" line="93" />
        <source>Offline - %1</source>
        <translation>离线 - %1</translation>
    </message>
</context>
</TS>
import express, { Request, Response, Router } from 'express';
import cors from 'cors';
/**
* SSE连接信息接口
*/
interface SSEConnection {
id: string;
clientId: string;
createdAt: number;
lastActiveAt: number;
response: Response;
closed: boolean;
}
/**
* 消息接口
*/
interface Message {
id: string;
type: string;
priority: number;
timestamp: number;
source: string;
target?: string;
payload: any;
metadata?: Record<string, any>;
}
/**
* SSE消息服务
* 管理所有SSE连接和消息路由
*/
class SSEMessageService {
private connections: Map<string, SSEConnection> = new Map();
private messageQueue: Map<string, Message[]> = new Map();
private heartbeatInterval: number = 30000;
private heartbeatTimer: NodeJS.Timeout | null = null;
private cleanupInterval: number = 60000;
private cleanupTimer: NodeJS.Timeout | null = null;
private app: express.Application;
private router: Router;
constructor() {
this.app = express();
this.router = Router();
this.setupMiddleware();
this.setupRoutes();
this.startHeartbeat();
this.startCleanup();
}
/**
* 设置中间件
*/
private setupMiddleware(): void {
this.app.use(cors());
this.app.use(express.json());
this.app.use((req, res, next) => {
console.log(`[${new Date().toISOString()}] ${req.method} ${req.path}`);
next();
});
}
/**
* 设置路由
*/
private setupRoutes(): void {
// SSE连接端点
this.router.get('/sse', (req, res) => {
this.handleSSEConnection(req, res);
});
// 发送消息端点
this.router.post('/api/messages', (req, res) => {
this.handleSendMessage(req, res);
});
// 发送指令端点
this.router.post('/api/commands', (req, res) => {
this.handleSendCommand(req, res);
});
// 广播消息端点
this.router.post('/api/broadcast', (req, res) => {
this.handleBroadcast(req, res);
});
// 获取连接列表
this.router.get('/api/connections', (req, res) => {
res.json(this.getConnectionList());
});
// 发送定向消息
this.router.post('/api/direct/:clientId', (req, res) => {
this.handleDirectMessage(req, res);
});
this.app.use(this.router);
}
/**
* 处理SSE连接
*/
private handleSSEConnection(req: Request, res: Response): void {
const clientId = req.query.clientId as string;
const token = req.query.token as string;
if (!clientId) {
res.status(400).json({ error: '缺少clientId参数' });
return;
}
if (token && !this.validateToken(token)) {
res.status(401).json({ error: '无效的认证令牌' });
return;
}
res.writeHead(200, {
'Content-Type': 'text/event-stream',
'Cache-Control': 'no-cache',
'Connection': 'keep-alive',
'X-Accel-Buffering': 'no'
});
const connection: SSEConnection = {
id: this.generateConnectionId(),
clientId,
createdAt: Date.now(),
lastActiveAt: Date.now(),
response: res,
closed: false
};
this.connections.set(clientId, connection);
console.log(`[SSE] 新连接: ${clientId}, 总连接数: ${this.connections.size}`);
this.messageQueue.set(clientId, []);
this.sendToClient(clientId, {
id: this.generateMessageId(),
type: 'system',
priority: 3,
timestamp: Date.now(),
source: 'server',
payload: {
event: 'connect',
detail: { clientId, connectionId: connection.id }
}
});
req.on('close', () => {
this.handleConnectionClose(clientId);
});
req.on('error', (error) => {
console.error(`[SSE] 连接错误 (${clientId}):`, error);
this.handleConnectionClose(clientId);
});
const keepAliveTimer = setInterval(() => {
if (!connection.closed && connection.response.writable) {
res.write(': keepalive\n\n');
} else {
clearInterval(keepAliveTimer);
}
}, 15000);
connection.response.on('close', () => {
clearInterval(keepAliveTimer);
});
}
/**
* 处理发送消息
*/
private async handleSendMessage(req: Request, res: Response): Promise<void> {
try {
const message: Message = req.body;
if (!message.id || !message.type) {
res.status(400).json({ error: '无效的消息格式' });
return;
}
console.log(`[Message] 收到消息: ${message.id}, 类型: ${message.type}`);
if (message.target) {
const sent = await this.sendToClient(message.target, message);
if (sent) {
res.json({ success: true, messageId: message.id });
} else {
res.status(404).json({ error: '目标客户端未连接' });
}
return;
}
this.broadcastMessage(message);
res.json({ success: true, messageId: message.id });
} catch (error) {
console.error('[Message] 处理消息失败:', error);
res.status(500).json({ error: '处理消息失败' });
}
}
/**
* 处理发送指令
*/
private async handleSendCommand(req: Request, res: Response): Promise<void> {
try {
const command: Message = req.body;
if (command.payload?.requireAck) {
const target = command.target;
if (target) {
this.messageQueue.get(target)?.push(command);
}
}
if (command.target) {
const sent = await this.sendToClient(command.target, command);
res.json({ success: sent, messageId: command.id });
} else {
this.broadcastMessage(command);
res.json({ success: true, messageId: command.id });
}
} catch (error) {
console.error('[Command] 处理指令失败:', error);
res.status(500).json({ error: '处理指令失败' });
}
}
/**
* 处理广播消息
*/
private handleBroadcast(req: Request, res: Response): void {
const { message, excludeClientId } = req.body;
if (!message) {
res.status(400).json({ error: '缺少消息内容' });
return;
}
const fullMessage: Message = {
id: this.generateMessageId(),
type: 'broadcast',
priority: message.priority || 1,
timestamp: Date.now(),
source: 'server',
...message
};
let sentCount = 0;
this.connections.forEach((conn, clientId) => {
if (clientId !== excludeClientId && !conn.closed) {
if (this.sendToClient(clientId, fullMessage)) {
sentCount++;
}
}
});
res.json({ success: true, sentCount, messageId: fullMessage.id });
}
/**
* 处理定向消息
*/
private handleDirectMessage(req: Request, res: Response): void {
const { clientId } = req.params;
const message: Message = req.body;
if (!clientId) {
res.status(400).json({ error: '缺少目标客户端ID' });
return;
}
const sent = this.sendToClient(clientId, {
id: this.generateMessageId(),
timestamp: Date.now(),
source: 'server',
...message
});
if (sent) {
res.json({ success: true });
} else {
res.status(404).json({ error: '目标客户端未连接' });
}
}
/**
* 发送消息到指定客户端
*/
private sendToClient(clientId: string, message: Message): boolean {
const connection = this.connections.get(clientId);
if (!connection || connection.closed) {
console.warn(`[SSE] 客户端未连接: ${clientId}`);
return false;
}
try {
const eventType = message.type || 'message';
const data = JSON.stringify(message);
connection.response.write(`event: ${eventType}\n`);
connection.response.write(`data: ${data}\n\n`);
connection.lastActiveAt = Date.now();
console.log(`[SSE] 发送消息到 ${clientId}: ${message.id}`);
return true;
} catch (error) {
console.error(`[SSE] 发送消息失败 (${clientId}):`, error);
this.handleConnectionClose(clientId);
return false;
}
}
/**
* 广播消息到所有客户端
*/
private broadcastMessage(message: Message): void {
let sentCount = 0;
this.connections.forEach((conn, clientId) => {
if (!conn.closed) {
if (this.sendToClient(clientId, message)) {
sentCount++;
}
}
});
console.log(`[Broadcast] 广播消息 ${message.id} 到 ${sentCount} 个客户端`);
}
/**
* 处理连接关闭
*/
private handleConnectionClose(clientId: string): void {
const connection = this.connections.get(clientId);
if (connection) {
connection.closed = true;
this.connections.delete(clientId);
this.messageQueue.delete(clientId);
console.log(`[SSE] 连接关闭: ${clientId}, 剩余连接: ${this.connections.size}`);
}
}
/**
* 获取连接列表
*/
private getConnectionList(): any[] {
return Array.from(this.connections.entries()).map(([clientId, conn]) => ({
clientId,
connectionId: conn.id,
createdAt: conn.createdAt,
lastActiveAt: conn.lastActiveAt,
uptime: Date.now() - conn.createdAt
}));
}
/**
* 验证认证令牌
*/
private validateToken(token: string): boolean {
return token && token.length > 0;
}
/**
* 生成连接ID
*/
private generateConnectionId(): string {
return `conn_${Date.now()}_${Math.random().toString(36).substr(2, 9)}`;
}
/**
* 生成消息ID
*/
private generateMessageId(): string {
return `msg_${Date.now()}_${Math.random().toString(36).substr(2, 9)}`;
}
/**
* 启动心跳
*/
private startHeartbeat(): void {
this.heartbeatTimer = setInterval(() => {
this.connections.forEach((conn, clientId) => {
if (!conn.closed && conn.response.writable) {
const heartbeat = {
id: this.generateMessageId(),
type: 'heartbeat',
priority: 0,
timestamp: Date.now(),
source: 'server',
payload: { serverTime: Date.now() }
};
conn.response.write(`event: heartbeat\n`);
conn.response.write(`data: ${JSON.stringify(heartbeat)}\n\n`);
conn.lastActiveAt = Date.now();
}
});
}, this.heartbeatInterval);
}
/**
* 启动清理任务
*/
private startCleanup(): void {
this.cleanupTimer = setInterval(() => {
const now = Date.now();
const staleThreshold = 300000;
this.connections.forEach((conn, clientId) => {
if (now - conn.lastActiveAt > staleThreshold) {
console.log(`[Cleanup] 清理超时连接: ${clientId}`);
conn.response.end();
this.handleConnectionClose(clientId);
}
});
}, this.cleanupInterval);
}
/**
* 获取Express应用实例
*/
public getApp(): express.Application {
return this.app;
}
/**
* 停止服务
*/
public stop(): void {
if (this.heartbeatTimer) {
clearInterval(this.heartbeatTimer);
}
if (this.cleanupTimer) {
clearInterval(this.cleanupTimer);
}
this.connections.forEach((conn) => {
conn.response.end();
});
this.connections.clear();
this.messageQueue.clear();
}
}
// 创建并启动服务
const sseService = new SSEMessageService();
const PORT = process.env.PORT || 3000;
const server = sseService.getApp().listen(PORT, () => {
console.log(`[Server] SSE消息服务已启动,监听端口: ${PORT}`);
});
process.on('SIGTERM', () => {
console.log('[Server] 收到SIGTERM信号,正在关闭...');
sseService.stop();
server.close(() => {
console.log('[Server] 服务器已关闭');
process.exit(0);
});
});
export { SSEMessageService, SSEConnection, Message };

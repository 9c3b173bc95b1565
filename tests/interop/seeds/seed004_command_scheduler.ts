/**
* 指令任务接口
*/
interface CommandTask {
taskId: string;
commandId: string;
clientId: string;
action: string;
params: Record<string, any>;
createdAt: number;
startedAt?: number;
completedAt?: number;
status: 'pending' | 'running' | 'completed' | 'cancelled' | 'failed';
result?: any;
error?: string;
}
/**
* 指令调度器接口
*/
interface SchedulerConfig {
maxConcurrent: number;
defaultTimeout: number;
enablePriority: boolean;
maxRetries: number;
}
/**
* 并发指令调度器
* 负责管理和调度并发执行的指令任务
*/
class CommandScheduler {
private tasks: Map<string, CommandTask> = new Map();
private pendingQueue: CommandTask[] = [];
private runningTasks: Map<string, CommandTask> = new Map();
private completedTasks: Map<string, CommandTask> = new Map();
private config: SchedulerConfig;
private messageService: SSEMessageService;
private taskTimer: NodeJS.Timeout | null = null;
private taskHandlers: Map<string, (task: CommandTask) => Promise<any>> = new Map();
constructor(messageService: SSEMessageService, config?: Partial<SchedulerConfig>) {
this.messageService = messageService;
this.config = {
maxConcurrent: config?.maxConcurrent || 5,
defaultTimeout: config?.defaultTimeout || 60000,
enablePriority: config?.enablePriority ?? true,
maxRetries: config?.maxRetries || 3
};
this.startTaskProcessor();
}
/**
* 注册任务处理器
*/
public registerHandler(action: string, handler: (task: CommandTask) => Promise<any>): void {
this.taskHandlers.set(action, handler);
console.log(`[Scheduler] 注册处理器: ${action}`);
}
/**
* 提交任务
*/
public async submitTask(
command: {
commandId: string;
action: string;
params?: Record<string, any>;
clientId: string;
timeout?: number;
}
): Promise<string> {
const taskId = `task_${Date.now()}_${Math.random().toString(36).substr(2, 9)}`;
const task: CommandTask = {
taskId,
commandId: command.commandId,
clientId: command.clientId,
action: command.action,
params: command.params || {},
createdAt: Date.now(),
status: 'pending'
};
this.tasks.set(taskId, task);
console.log(`[Scheduler] 提交任务: ${taskId}, 动作: ${command.action}`);
this.sendToClient(command.clientId, {
id: this.generateMessageId(),
type: 'command',
priority: 2,
timestamp: Date.now(),
source: 'scheduler',
payload: {
event: 'task_submitted',
taskId,
commandId: command.commandId
}
});
this.enqueueTask(task);
return taskId;
}
/**
* 取消任务
*/
public async cancelTask(taskId: string): Promise<boolean> {
const task = this.tasks.get(taskId);
if (!task) {
console.warn(`[Scheduler] 任务不存在: ${taskId}`);
return false;
}
if (task.status === 'completed') {
console.warn(`[Scheduler] 任务已完成,无法取消: ${taskId}`);
return false;
}
if (task.status === 'cancelled') {
return true;
}
task.status = 'cancelled';
task.completedAt = Date.now();
if (this.runningTasks.has(taskId)) {
this.runningTasks.delete(taskId);
}
this.pendingQueue = this.pendingQueue.filter(t => t.taskId !== taskId);
console.log(`[Scheduler] 任务已取消: ${taskId}`);
this.sendToClient(task.clientId, {
id: this.generateMessageId(),
type: 'command',
priority: 2,
timestamp: Date.now(),
source: 'scheduler',
payload: {
event: 'task_cancelled',
taskId,
commandId: task.commandId
}
});
return true;
}
/**
* 查询任务状态
*/
public getTaskStatus(taskId: string): CommandTask | null {
return this.tasks.get(taskId) || null;
}
/**
* 获取所有任务
*/
public getAllTasks(): CommandTask[] {
return Array.from(this.tasks.values());
}
/**
* 获取正在运行的任务
*/
public getRunningTasks(): CommandTask[] {
return Array.from(this.runningTasks.values());
}
/**
* 获取待处理任务数量
*/
public getPendingCount(): number {
return this.pendingQueue.length;
}
/**
* 入队任务
*/
private enqueueTask(task: CommandTask): void {
this.pendingQueue.push(task);
if (this.config.enablePriority) {
this.pendingQueue.sort((a, b) => {
const taskA = this.tasks.get(a.taskId)!;
const taskB = this.tasks.get(b.taskId)!;
return (taskB.params?.priority || 1) - (taskA.params?.priority || 1);
});
}
this.scheduleNext();
}
/**
* 调度下一个任务
*/
private scheduleNext(): void {
if (this.runningTasks.size >= this.config.maxConcurrent) {
return;
}
const task = this.pendingQueue.shift();
if (!task) {
return;
}
const currentTask = this.tasks.get(task.taskId);
if (currentTask?.status === 'cancelled') {
this.scheduleNext();
return;
}
this.executeTask(task);
}
/**
* 执行任务
*/
private async executeTask(task: CommandTask): Promise<void> {
task.status = 'running';
task.startedAt = Date.now();
this.runningTasks.set(task.taskId, task);
console.log(`[Scheduler] 开始执行任务: ${task.taskId}`);
const handler = this.taskHandlers.get(task.action);
if (!handler) {
task.status = 'failed';
task.error = `未找到动作处理器: ${task.action}`;
this.completeTask(task);
return;
}
const timeout = task.params?.timeout || this.config.defaultTimeout;
const timeoutTimer = setTimeout(() => {
if (task.status === 'running') {
this.cancelTask(task.taskId);
task.status = 'failed';
task.error = '任务执行超时';
this.completeTask(task);
}
}, timeout);
try {
task.result = await handler(task);
clearTimeout(timeoutTimer);
if (task.status === 'cancelled') {
return;
}
task.status = 'completed';
task.completedAt = Date.now();
console.log(`[Scheduler] 任务完成: ${task.taskId}`);
this.sendToClient(task.clientId, {
id: this.generateMessageId(),
type: 'command',
priority: 2,
timestamp: Date.now(),
source: 'scheduler',
payload: {
event: 'task_completed',
taskId: task.taskId,
commandId: task.commandId,
result: task.result
}
});
if (task.params?.requireAck) {
this.sendAck(task.commandId, task.clientId, true);
}
} catch (error) {
clearTimeout(timeoutTimer);
if (task.status === 'cancelled') {
return;
}
task.status = 'failed';
task.error = (error as Error).message;
task.completedAt = Date.now();
console.error(`[Scheduler] 任务失败: ${task.taskId}`, error);
this.sendToClient(task.clientId, {
id: this.generateMessageId(),
type: 'command',
priority: 2,
timestamp: Date.now(),
source: 'scheduler',
payload: {
event: 'task_failed',
taskId: task.taskId,
commandId: task.commandId,
error: task.error
}
});
if (this.shouldRetry(task)) {
console.log(`[Scheduler] 任务将重试: ${task.taskId}`);
task.status = 'pending';
task.createdAt = Date.now();
this.enqueueTask(task);
}
}
this.completeTask(task);
}
/**
* 判断是否应该重试
*/
private shouldRetry(task: CommandTask): boolean {
const retryCount = task.params?.retryCount || 0;
return retryCount < this.config.maxRetries && task.status === 'failed';
}
/**
* 完成任务处理
*/
private completeTask(task: CommandTask): void {
this.runningTasks.delete(task.taskId);
this.completedTasks.set(task.taskId, task);
this.scheduleNext();
}
/**
* 发送确认消息
*/
private sendAck(commandId: string, clientId: string, success: boolean): void {
this.sendToClient(clientId, {
id: this.generateMessageId(),
type: 'ack',
priority: 3,
timestamp: Date.now(),
source: 'scheduler',
payload: {
commandId,
success
}
});
}
/**
* 发送消息到客户端
*/
private sendToClient(clientId: string, message: any): void {
console.log(`[Scheduler] 发送到 ${clientId}:`, JSON.stringify(message));
}
/**
* 生成消息ID
*/
private generateMessageId(): string {
return `msg_${Date.now()}_${Math.random().toString(36).substr(2, 9)}`;
}
/**
* 启动任务处理器
*/
private startTaskProcessor(): void {
this.taskTimer = setInterval(() => {
this.scheduleNext();
}, 100);
}
/**
* 停止任务处理器
*/
public stop(): void {
if (this.taskTimer) {
clearInterval(this.taskTimer);
this.taskTimer = null;
}
this.pendingQueue.forEach(task => {
task.status = 'cancelled';
});
this.pendingQueue = [];
this.runningTasks.clear();
}
}
export { CommandScheduler, CommandTask, SchedulerConfig };

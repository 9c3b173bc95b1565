# backend/api/tasks.py
from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
import asyncio
import json

router = APIRouter()

@router.get("/stream")
async def task_stream(request: Request, lastEventId: str = None):
    async def event_generator():
        last_id = 0
        if lastEventId:
            try:
                last_id = int(lastEventId)
            except:
                pass

        while True:
            # 检查客户端是否断开
            if await request.is_disconnected():
                break

            # 获取任务更新（从队列或数据库）
            updates = await get_task_updates(last_id)

            for update in updates:
                last_id = update['id']

                # 发送事件
                yield f"id: {update['id']}\n"
                yield f"event: {update['type']}\n"
                yield f"data: {json.dumps(update['data'])}\n\n"

            # 发送心跳
            yield f"event: heartbeat\n"
            yield f"data: {json.dumps({'timestamp': time.time()})}\n\n"

            await asyncio.sleep(1)

    return StreamingResponse(
        event_generator(),
        media_type="text/event-stream",
        headers={
            "Cache-Control": "no-cache",
            "X-Accel-Buffering": "no"
        }
    )

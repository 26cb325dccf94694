"""An MCP server written the way the seed's proof of concept writes them, with the official
`mcp` package (2.x): a V1 form-payload tool and V2 tools that call `await ctx.elicit(...)`.
The SDK offers the 2026-07-28 era too, where `ctx.elicit` has no back-channel: Parley must
notice and use 2025-11-25 sessions for it. Runs over stdio (default) or Streamable HTTP
(`http PORT`)."""

import json
import sys

from pydantic import BaseModel, Field

from mcp.server.mcpserver import Context, MCPServer
from mcp.types import ToolAnnotations

mcp = MCPServer("seed-py", instructions="Tickets live in the seed system; ask before booking.")

class Booking(BaseModel):
    guests: int = Field(description="How many people", ge=1, le=12)
    name: str = Field(description="Name for the booking")


class Confirm(BaseModel):
    ok: bool = Field(description="Go ahead?")


@mcp.tool()
async def book_table(restaurant: str, ctx: Context) -> str:
    """Books a table (asks for the details). Not safe to repeat."""
    answer = await ctx.elicit(f"Booking at {restaurant}", Booking)
    if answer.action != "accept":
        return f"booking {answer.action}"
    return f"booked {restaurant} for {answer.data.guests} under {answer.data.name}"


@mcp.tool(annotations=ToolAnnotations(readOnlyHint=True))
async def check_menu(restaurant: str, ctx: Context) -> str:
    """Looks at the menu after a confirmation. Read-only: safe to repeat."""
    answer = await ctx.elicit(f"Show the menu of {restaurant}?", Confirm)
    if answer.action == "accept" and answer.data.ok:
        return f"menu of {restaurant}: soup, bread"
    return "menu not shown"


@mcp.tool()
def order_v1(dish: str = "", size: str = "") -> str:
    """The V1 style: asks with a form payload, answered by calling again."""
    if dish and size:
        return f"ordered a {size} {dish}"
    return json.dumps(
        {
            "type": "elicitation",
            "elicitation_type": "form",
            "tool": "order_v1",
            "message": "What would you like?",
            "fields": [
                {"name": "dish", "label": "Dish", "type": "text", "required": True},
                {
                    "name": "size",
                    "label": "Size",
                    "type": "select",
                    "required": True,
                    "options": [{"value": "small", "label": "Small"}, {"value": "large", "label": "Large"}],
                },
            ],
        }
    )


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "http":
        mcp.run("streamable-http", host="127.0.0.1", port=int(sys.argv[2]))
    else:
        mcp.run()

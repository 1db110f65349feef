-- hubcase.lua: pandoc filter used by hubcase's built-in renderer (hubcase/render/convert.py).
--
-- Pass 1: a Div of class "hubcase-html" holds a notebook's text/html output (for example a
--         pandas DataFrame).  Its HTML is read into pandoc's own table model, so the table is
--         styled like every other table and also reaches Typst, which drops raw HTML.
-- Pass 2: a Div of class "hubcase-table" starts with a Div of class "hubcase-caption".  That
--         caption ("Table 3: ...", numbered by hubcase) becomes the caption of the first table
--         in the Div.  When the Div holds no table the caption stays a paragraph above it.
--         For Typst, tables with many columns get smaller type.
-- Pass 3: (Typst only) spans of class fit-confirmation, fit-expansion, fit-discordance and
--         fit-not-addressed get the colour and leading symbol that report.css gives them in
--         HTML.  The span keeps its own text, so the fit never depends on colour alone.

local function is_typst()
  return FORMAT:match("typst") ~= nil
end

local function drop_raw(blocks)
  return blocks:walk({
    RawBlock = function(_) return {} end,
    RawInline = function(_) return {} end,
  })
end

local function html_to_blocks(div)
  if not div.classes:includes("hubcase-html") then
    return nil
  end
  local html = {}
  for _, block in ipairs(div.content) do
    if block.t == "RawBlock" and block.format == "html" then
      table.insert(html, block.text)
    end
  end
  local ok, doc = pcall(pandoc.read, table.concat(html, "\n"), "html")
  if not ok then
    return nil
  end
  return drop_raw(doc.blocks)
end

local function type_size(ncols)
  if ncols >= 7 then return "7pt" end
  if ncols >= 5 then return "7.5pt" end
  return nil
end

local function attach_caption(div)
  if not div.classes:includes("hubcase-table") then
    return nil
  end
  local caption, rest = nil, pandoc.Blocks({})
  for _, block in ipairs(div.content) do
    if caption == nil and block.t == "Div" and block.classes:includes("hubcase-caption") then
      -- Plain, not Para: pandoc's own captions hold no paragraph.
      caption = block.content:walk({ Para = function(p) return pandoc.Plain(p.content) end })
    else
      rest:insert(block)
    end
  end
  if caption == nil then
    return nil
  end
  local ncols = nil
  rest = rest:walk({
    Table = function(t)
      if ncols ~= nil then return nil end
      ncols = #t.colspecs
      t.caption = { long = caption, short = nil }
      return t
    end,
  })
  if ncols == nil then
    return nil
  end
  div.content = rest
  local size = type_size(ncols)
  if is_typst() and size ~= nil then
    div.attributes["typst:text:size"] = size
  end
  return div
end

local FIT = {
  ["fit-confirmation"] = { symbol = "\u{2713}", colour = "#0b5d47" },
  ["fit-expansion"] = { symbol = "+", colour = "#1f4e8c" },
  ["fit-discordance"] = { symbol = "\u{2260}", colour = "#8a3209" },
  ["fit-not-addressed"] = { symbol = "\u{2013}", colour = "#4a5057" },
}

local function fit_span(span)
  if not is_typst() then
    return nil
  end
  for class, style in pairs(FIT) do
    if span.classes:includes(class) then
      span.attributes["typst:text:fill"] = 'rgb("' .. style.colour .. '")'
      -- A no-break space: "+ " at the start of Typst content would open a list.
      span.content:insert(1, pandoc.Str(style.symbol .. "\u{00A0}"))
      return span
    end
  end
  return nil
end

return {
  { Div = html_to_blocks },
  { Div = attach_caption },
  { Span = fit_span },
}

-- handlers/lua/render.lua — templates rendered inside Redis, for the answers
-- a function composes itself.  The rule is handlers/templates.c's, and
-- tests/unit/handlers/test_render.c renders every template of every locale
-- both ways and compares.

-- A template's text with {{name}} replaced by vars[name], or "" (the
-- placeholders were checked when the templates were loaded).
local function render(text, vars)
  return (string.gsub(text or '', '{{([%w_]+)}}', function(k) return vars[k] or '' end))
end

-- The text of `key` in a word list ("key=text" lines), or the key itself.
local function word(list, key)
  for line in string.gmatch((list or '') .. '\n', '([^\n]*)\n') do
    local k, v = string.match(line, '^([^=]+)=(.*)$')
    if k == key then return v end
  end
  return key
end

-- template_render: the library's renderer from outside, for the comparison test and
-- for tools.  -> the text
local function template_render(a)
  local vars = {}
  for v in a.vars() do vars[v.name] = v.value end
  return render(a.text, vars)
end

-- template_word: the library's word lookup from outside.  -> the text
local function template_word(a)
  return word(a.list, a.key)
end

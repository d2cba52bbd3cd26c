import { html } from './html.js';

// Called under another name: Prettier reformats templates tagged `html`, which would change these strings.
const render = html;

describe('html', () => {
  it('escapes interpolated text, attributes included', () => {
    const name = `<script>alert("x")</script>&'`;
    expect(render`<p title="${name}">${name}</p>`.value).toBe(
      '<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;">' +
        '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;</p>',
    );
  });

  it('keeps nested html as markup and renders lists and absent values', () => {
    const items = ['a<', 'b'].map((x) => render`<li>${x}</li>`);
    expect(render`<ul>${items}</ul>${undefined}${null}${false}${0}`.value).toBe(
      '<ul><li>a&lt;</li><li>b</li></ul>0',
    );
  });
});

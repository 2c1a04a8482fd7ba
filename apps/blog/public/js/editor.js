// The post editor, as progressive enhancement: without this file the form is a plain textarea
// with a "Preview in a new tab" button. With it: live preview from the server's own renderer,
// word count, paste/drop image upload, Ctrl/Cmd+S to save, and a warning before losing changes.
(() => {
  const form = document.querySelector('form[data-editor]');
  if (!form) return;
  const textarea = form.querySelector('textarea[name="markdown"]');
  const preview = form.querySelector('[data-preview]');
  const previewPane = form.querySelector('[data-preview-pane]');
  const status = form.querySelector('[data-status]');
  const csrf = form.dataset.csrf;
  let dirty = false;
  let timer = 0;
  let sequence = 0;

  previewPane.hidden = false;
  form.classList.add('has-preview');
  form.querySelector('[data-nojs-preview]')?.remove();

  const say = (text) => {
    status.textContent = text;
  };

  async function refreshPreview() {
    const mine = ++sequence;
    try {
      const res = await fetch('/admin/preview', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRF-Token': csrf },
        body: JSON.stringify({ markdown: textarea.value }),
        credentials: 'same-origin',
      });
      if (!res.ok) throw new Error(`preview answered ${res.status}`);
      const data = await res.json();
      if (mine !== sequence) return; // a newer preview is on its way
      preview.innerHTML = data.html; // sanitized by the server, exactly as on the site
      say(`${data.wordCount} words · ${data.readingMinutes} min read${dirty ? ' · unsaved changes' : ''}`);
    } catch {
      say('Preview unavailable; your text is safe in the editor.');
    }
  }

  const schedulePreview = () => {
    clearTimeout(timer);
    timer = setTimeout(refreshPreview, 250);
  };

  form.addEventListener('input', () => {
    dirty = true;
    schedulePreview();
  });
  form.addEventListener('submit', () => {
    dirty = false;
  });
  window.addEventListener('beforeunload', (event) => {
    if (dirty) event.preventDefault();
  });
  document.addEventListener('keydown', (event) => {
    if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === 's') {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  function insertAtCursor(text) {
    const { selectionStart: start, selectionEnd: end, value } = textarea;
    textarea.value = value.slice(0, start) + text + value.slice(end);
    textarea.selectionStart = textarea.selectionEnd = start + text.length;
    textarea.dispatchEvent(new Event('input', { bubbles: true }));
  }

  async function upload(file) {
    say(`Uploading ${file.name}…`);
    const body = new FormData();
    body.append('file', file);
    try {
      const res = await fetch(form.dataset.upload, {
        method: 'POST',
        headers: { Accept: 'application/json', 'X-CSRF-Token': csrf },
        body,
        credentials: 'same-origin',
      });
      const data = await res.json().catch(() => ({}));
      if (!res.ok) throw new Error(data.message || `upload answered ${res.status}`);
      insertAtCursor(`\n${data.markdown}\n`);
      say(`Uploaded ${file.name}.`);
    } catch (err) {
      say(`Upload failed: ${err.message}`);
    }
  }

  const images = (list) => [...(list || [])].filter((f) => f.type.startsWith('image/'));
  textarea.addEventListener('paste', (event) => {
    const files = images(event.clipboardData?.files);
    if (files.length === 0) return;
    event.preventDefault();
    files.forEach(upload);
  });
  textarea.addEventListener('dragover', (event) => {
    if (event.dataTransfer?.types.includes('Files')) {
      event.preventDefault();
      form.classList.add('dragging');
    }
  });
  textarea.addEventListener('dragleave', () => form.classList.remove('dragging'));
  textarea.addEventListener('drop', (event) => {
    form.classList.remove('dragging');
    const files = images(event.dataTransfer?.files);
    if (files.length === 0) return;
    event.preventDefault();
    files.forEach(upload);
  });

  refreshPreview();
})();

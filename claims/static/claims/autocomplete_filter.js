'use strict';
// A list filter chosen in a search box (claims/admin/scale.py): picking a
// row, or clearing the box, applies the filter at once.
{
    document.addEventListener('DOMContentLoaded', function() {
        django.jQuery('form.autocomplete-filter select').on('change', function() {
            this.form.submit();
        });
    });
}
